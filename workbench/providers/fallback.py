"""Which model to try next when one fails: the rest of its tier, then the tier it falls back to.

Pure functions over `Settings`; the caller runs the requests and asks before leaving the machine
(see `crosses_to_cloud`). Core module: never imports textual.
"""

from __future__ import annotations

from workbench.config import ModelRef, Settings, tier_for
from workbench.providers.base import ErrorKind

FALLBACK_KINDS: frozenset[ErrorKind] = frozenset(
    {
        ErrorKind.UNREACHABLE,
        ErrorKind.MODEL_MISSING,
        ErrorKind.OVERLOADED,
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER_ERROR,
    }
)
"""Failures another model may get around; the others (auth, timeouts, cut streams) are shown.
A server error (HTTP 500) is often one model's (it failed to load): the next one is tried."""

# Failures of a whole server or account rather than of one model: every model there fails too.
# Ollama's "busy" (HTTP 503) is the whole server's; Anthropic's overload and rate limits are per
# model, so another Claude model may still answer.
_SERVER_WIDE: dict[str, frozenset[ErrorKind]] = {
    "ollama": frozenset({ErrorKind.UNREACHABLE, ErrorKind.OVERLOADED, ErrorKind.AUTH}),
    "anthropic": frozenset({ErrorKind.UNREACHABLE, ErrorKind.AUTH}),
}


def fallback_chain(settings: Settings, ref: ModelRef) -> list[ModelRef]:
    """`ref`, then the other models of its tier in order, then those of its fallback tiers.

    Fallback tiers are followed until one has none, names an unknown tier, or comes round again;
    a model is listed once. A model in no tier has no fallback: the chain is just `[ref]`.
    """
    chain = [ref]
    seen = {(ref.provider, ref.name)}
    visited: set[str] = set()
    tier = tier_for(settings, ref)
    while tier is not None and tier in settings.tiers and tier not in visited:
        visited.add(tier)
        spec = settings.tiers[tier]
        for name in spec.models:
            if (spec.provider, name) not in seen:
                seen.add((spec.provider, name))
                chain.append(ModelRef(spec.provider, name, tier))
        tier = spec.fallback
    return chain


def crosses_to_cloud(current: ModelRef, candidate: ModelRef) -> bool:
    """Whether moving from `current` to `candidate` sends the prompt off this machine to Claude."""
    return current.provider == "ollama" and candidate.provider == "anthropic"


def skip_after(failed: ModelRef, kind: ErrorKind, candidate: ModelRef) -> bool:
    """Whether `candidate` is bound to fail the same way `failed` just did, so not worth trying.

    The same model always is; so is every model of the same provider when the failure is the
    server's or the account's (unreachable, refused credentials, or Ollama's queue full).
    """
    if (candidate.provider, candidate.name) == (failed.provider, failed.name):
        return True
    return candidate.provider == failed.provider and kind in _SERVER_WIDE[failed.provider]


def expected_answerer(
    settings: Settings, ref: ModelRef, installed: set[str] | None, *, reachable: bool | None
) -> tuple[ModelRef | None, str | None]:
    """Who will most likely answer a prompt for `ref`, and a warning when it is not `ref`.

    `installed` holds the canonical names Ollama lists (None: unknown); `reachable` is the last
    poll's answer (None: not polled yet). Returns (None, why) when no model of the chain can.
    """
    from workbench.providers.ollama_wire import canonical_name

    if ref.provider != "ollama" or (installed is None and reachable is not False):
        return ref, None
    local_down = reachable is False
    skipped: list[str] = []
    for candidate in fallback_chain(settings, ref):
        if candidate.provider == "ollama":
            if local_down:
                skipped.append(f"{candidate.name} (Ollama unreachable)")
                continue
            if installed is not None and canonical_name(candidate.name) not in installed:
                skipped.append(f"{candidate.name} (not installed)")
                continue
            if candidate == ref:
                return ref, None
            return candidate, f"{', '.join(skipped)}: {candidate.name} will answer instead."
        if not settings.anthropic.api_key:
            skipped.append(f"{candidate.name} (no API key)")
            continue
        where = (
            f"{candidate.name} on Anthropic's servers would answer instead, after you allow it"
            if not settings.anthropic.fallback_without_asking
            else f"{candidate.name} on Anthropic's servers will answer instead (the config "
            "allows it without asking)"
        )
        return candidate, f"{', '.join(skipped)}: {where}."
    return None, f"No model can answer: {', '.join(skipped)}."
