"""Pick the provider for a model and build it on first use (the anthropic SDK is slow to import)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from workbench.providers.base import ChatProvider, ModelInfo

if TYPE_CHECKING:
    from workbench.config import Settings
    from workbench.providers.ollama import OllamaProvider


class ProviderRouter:
    """Builds each provider once, from the settings, when first needed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ollama: OllamaProvider | None = None
        self._anthropic: ChatProvider | None = None

    @property
    def ollama(self) -> OllamaProvider:
        """The Ollama provider (also used for model lists)."""
        if self._ollama is None:
            from workbench.providers.ollama import OllamaProvider

            ollama = self.settings.ollama
            self._ollama = OllamaProvider(
                ollama.host, timeout_s=ollama.timeout_s, connect_timeout_s=ollama.connect_timeout_s
            )
        return self._ollama

    def anthropic(self) -> ChatProvider:
        """The Anthropic provider; its SDK is imported only when a request is made."""
        if self._anthropic is None:
            from workbench.providers.anthropic import AnthropicProvider

            cfg = self.settings.anthropic
            cloud = self.settings.tiers.get("cloud")
            self._anthropic = AnthropicProvider(
                cfg.api_key,
                base_url=cfg.base_url,
                max_tokens=cfg.max_tokens,
                max_retries=cfg.max_retries,
                timeout_s=cfg.timeout_s,
                models=list(cloud.models) if cloud else [],
            )
        return self._anthropic

    def get(self, provider: Literal["ollama", "anthropic"]) -> ChatProvider:
        """The provider serving models of this kind."""
        return self.ollama if provider == "ollama" else self.anthropic()

    async def installed_ollama_models(self) -> list[ModelInfo]:
        """Models installed in Ollama (raises ProviderError when it is down)."""
        return await self.ollama.list_models()

    async def aclose(self) -> None:
        """Close the providers' HTTP connections (on the loop that used them)."""
        for provider in (self._ollama, self._anthropic):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
