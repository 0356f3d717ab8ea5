"""Every model workbench can offer, with what the servers say about it (for the pickers).

Core module: never imports textual.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from workbench.config import ModelRef, Settings
from workbench.providers.base import LoadedModel, ModelInfo
from workbench.providers.ollama import canonical_name

ModelState = Literal["installed", "missing", "unknown", "cloud", "no-key"]

TIER_BADGES = {"fast": "⚡ fast", "quality": "◆ quality", "cloud": "☁ cloud"}
OTHER_INSTALLED = "other installed"
"""The heading of the installed Ollama models that are in no tier."""

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
    tiers: tuple[str, ...] = ()
    """Every tier that lists the model, in the settings' order (`ref.tier` is the first)."""

    @property
    def tier_names(self) -> tuple[str, ...]:
        """The tiers that list the model; () for an installed model in no tier."""
        return self.tiers or ((self.ref.tier,) if self.ref.tier else ())

    @property
    def badge(self) -> str:
        """ "⚡ fast, ◆ quality": every tier badge, or "other" for a model in no tier."""
        return ", ".join(TIER_BADGES.get(t, t) for t in self.tier_names) or "other"

    @property
    def tiers_label(self) -> str:
        """ "fast, quality": the tiers in words, "" for a model in no tier."""
        return ", ".join(self.tier_names)

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

    def ref_in(self, tier: str) -> ModelRef:
        """The model as a pane of `tier` should use it: that tier's settings if it lists the
        model, else the first tier's."""
        return replace(self.ref, tier=tier) if tier in self.tier_names else self.ref

    def matches(self, query: str) -> bool:
        """True when every word of `query` is part of the model's name (case-insensitive)."""
        name = self.ref.name.casefold()
        return all(word in name for word in query.casefold().split())

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
    entries: dict[tuple[str, str], ModelEntry] = {}
    for tier, tier_settings in settings.tiers.items():
        for name in tier_settings.models:
            local = tier_settings.provider == "ollama"
            key = (tier_settings.provider, canonical_name(name) if local else name)
            if (listed := entries.get(key)) is not None:
                # One row per model: a model in several tiers shows them all.
                if tier not in listed.tiers:
                    entries[key] = replace(listed, tiers=(*listed.tiers, tier))
                continue
            ref = ModelRef(tier_settings.provider, name, tier)
            if tier_settings.provider == "anthropic":
                state: ModelState = "cloud" if settings.anthropic.api_key else "no-key"
                entries[key] = ModelEntry(ref, state, tiers=(tier,))
            elif installed is None:
                entries[key] = ModelEntry(ref, "unknown", tiers=(tier,))
            elif key[1] in by_name:
                info = by_name[key[1]]
                entries[key] = ModelEntry(ref, "installed", info, in_memory.get(key[1]), (tier,))
            else:
                entries[key] = ModelEntry(ref, "missing", tiers=(tier,))
    for info in installed or []:
        key = ("ollama", canonical_name(info.name))
        if key not in entries:
            ref = ModelRef("ollama", info.name, "")
            entries[key] = ModelEntry(ref, "installed", info, in_memory.get(key[1]))
    return list(entries.values())


@dataclass(frozen=True)
class CatalogGroup:
    """The models under one heading of the model picker: a tier's, or the other installed."""

    tier: str
    """The tier whose models these are; "" for installed models in no tier."""
    entries: tuple[ModelEntry, ...]
    """The models, in the catalog's order."""

    @property
    def title(self) -> str:
        """ "⚡ fast", or "other installed"."""
        return TIER_BADGES.get(self.tier, self.tier) if self.tier else OTHER_INSTALLED


def group_catalog(entries: Iterable[ModelEntry], query: str = "") -> list[CatalogGroup]:
    """The entries matching `query` under their first tier, tiers in the catalog's order, the
    models in no tier last; groups left empty by the query are dropped."""
    groups: dict[str, list[ModelEntry]] = {}
    others: list[ModelEntry] = []
    for entry in entries:
        # Setdefault before filtering keeps the tiers' order whatever the query leaves.
        members = groups.setdefault(entry.ref.tier, []) if entry.ref.tier else others
        if entry.matches(query):
            members.append(entry)
    found = [CatalogGroup(tier, tuple(members)) for tier, members in groups.items() if members]
    if others:
        found.append(CatalogGroup("", tuple(others)))
    return found


def cell_width(text: str) -> int:
    """Terminal cells `text` takes: wide (East Asian) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def middle_ellipsis(text: str, width: int) -> str:
    """`text` cut to `width` cells with "…" in the middle, keeping its start and more of its end
    (where a model's version and size are): "openrouter/anth…3.5-sonnet-20241022"."""
    if cell_width(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    keep = width - 1
    head = _fit(text, keep * 9 // 20)
    tail = _fit(text[::-1], keep - cell_width(head))[::-1]
    return f"{head}…{tail}"


def _fit(text: str, width: int) -> str:
    """The longest start of `text` that fits in `width` cells."""
    used = 0
    for index, char in enumerate(text):
        used += cell_width(char)
        if used > width:
            return text[:index]
    return text
