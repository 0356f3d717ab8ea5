"""Chat backends: Ollama and Anthropic behind one small interface. Never imports textual."""
