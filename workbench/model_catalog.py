"""Every model workbench can offer, with what the servers say about it (for the pickers).

Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from workbench.config import ModelRef, Settings
from workbench.providers.base import LoadedModel, ModelInfo
from workbench.providers.ollama import canonical_name

ModelState = Literal["installed", "missing", "unknown", "cloud", "no-key"]

TIER_BADGES = {"fast": "⚡ fast", "quality": "◆ quality", "cloud": "☁ cloud"}

STATE_LABELS: dict[ModelState, str] = {
    "installed": "installed",
    "missing": "not installed",
    "unknown": "unknown (Ollama down)",
    "cloud": "cloud (API key set)",
    "no-key": "no API key set",
}


@dataclass(frozen=True)
class ModelEntry:
    """One model in a picker: where it comes from, whether it can answer, and its details."""

    ref: ModelRef
    state: ModelState
    info: ModelInfo | None = None
    """What `/api/tags` says about an installed Ollama model."""
    loaded: LoadedModel | None = None
    """What `/api/ps` says when the model is in memory."""

    @property
    def badge(self) -> str:
        """The tier badge, or "other" for an installed model in no tier."""
        return TIER_BADGES.get(self.ref.tier, self.ref.tier or "other")

    @property
    def status(self) -> str:
        """The install state in words."""
        return STATE_LABELS[self.state]

    @property
    def can_pull(self) -> bool:
        """True for an Ollama model that is not installed (the server being up)."""
        return self.state == "missing"

    @property
    def size(self) -> str:
        """ "7.6B Q4_K_M 4.7 GB": parameter size, quantization and download size, as known."""
        info = self.info
        if info is None:
            return ""
        parts = [p for p in (info.parameter_size, info.quantization) if p]
        if info.size_bytes:
            parts.append(f"{info.size_bytes / 1e9:.1f} GB")
        return " ".join(parts)

    def memory(self, now: datetime | None = None) -> str:
        """ "loaded · 4.7 GB VRAM · 4 min left", or "" when not in memory."""
        if self.loaded is None:
            return ""
        return loaded_label(self.loaded, now)


def format_duration(seconds: float) -> str:
    """ "45 s", "4 min", "2 h": a time left in memory."""
    if seconds < 90:
        return f"{max(0, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"


def loaded_label(model: LoadedModel, now: datetime | None = None) -> str:
    """ "loaded · 4.7 GB VRAM · 4 min left" for a model in memory."""
    parts = ["loaded"]
    if model.vram_bytes:
        parts.append(f"{model.vram_bytes / 1e9:.1f} GB VRAM")
    elif model.size_bytes:
        parts.append(f"{model.size_bytes / 1e9:.1f} GB RAM")
    if model.expires_at is not None:
        left = (model.expires_at - (now or datetime.now(UTC))).total_seconds()
        # Ollama reports a date years ahead for keep_alive = -1 (kept until it is stopped).
        parts.append("kept loaded" if left > 365 * 86400 else f"{format_duration(left)} left")
    return " · ".join(parts)


def build_catalog(
    settings: Settings,
    installed: list[ModelInfo] | None,
    loaded: list[LoadedModel] | None = None,
) -> list[ModelEntry]:
    """Every configured model by tier, then installed Ollama models in no tier.

    `installed` is None when Ollama could not be asked (its models' state is then unknown).
    """
    # Ollama lists "llama3.2" as "llama3.2:latest": compare the names it would list.
    by_name = {canonical_name(info.name): info for info in installed or []}
    in_memory = {canonical_name(model.name): model for model in loaded or []}
    entries: list[ModelEntry] = []
    seen: set[tuple[str, str]] = set()
    for tier, tier_settings in settings.tiers.items():
        for name in tier_settings.models:
            local = tier_settings.provider == "ollama"
            key = (tier_settings.provider, canonical_name(name) if local else name)
            if key in seen:
                continue
            seen.add(key)
            ref = ModelRef(tier_settings.provider, name, tier)
            if tier_settings.provider == "anthropic":
                state: ModelState = "cloud" if settings.anthropic.api_key else "no-key"
                entries.append(ModelEntry(ref, state))
            elif installed is None:
                entries.append(ModelEntry(ref, "unknown"))
            elif (listed := canonical_name(name)) in by_name:
                entries.append(ModelEntry(ref, "installed", by_name[listed], in_memory.get(listed)))
            else:
                entries.append(ModelEntry(ref, "missing"))
    for info in installed or []:
        listed = canonical_name(info.name)
        if ("ollama", listed) not in seen:
            ref = ModelRef("ollama", info.name, "")
            entries.append(ModelEntry(ref, "installed", info, in_memory.get(listed)))
    return entries
