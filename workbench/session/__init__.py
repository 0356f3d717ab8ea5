"""Sessions on disk: a folder with context.md, transcripts and metadata. Never imports textual."""
