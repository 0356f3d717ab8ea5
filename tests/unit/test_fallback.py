"""Fallback across models and tiers: the order tried, what is skipped, and when Claude is next."""

from __future__ import annotations

import pytest

from workbench.config import ModelRef, Settings, TierSettings
from workbench.providers.base import ErrorKind
from workbench.providers.fallback import (
    FALLBACK_KINDS,
    crosses_to_cloud,
    fallback_chain,
    skip_after,
)


def local(name: str, tier: str = "quality") -> ModelRef:
    return ModelRef("ollama", name, tier)


def claude(name: str) -> ModelRef:
    return ModelRef("anthropic", name, "cloud")


SONNET, HAIKU = claude("claude-sonnet-5-5"), claude("claude-haiku-5-5")


def names(chain: list[ModelRef]) -> list[str]:
    return [ref.name for ref in chain]


def test_a_quality_model_falls_back_through_its_tier_then_to_the_cloud() -> None:
    chain = fallback_chain(Settings(), local("qwen2.5-coder:14b"))
    assert chain == [
        local("qwen2.5-coder:14b"),
        local("qwen2.5-coder:32b"),
        local("deepseek-coder:33b"),
        SONNET,
        HAIKU,
    ]


def test_the_chosen_model_goes_first_and_the_rest_keep_their_tier_order() -> None:
    chain = fallback_chain(Settings(), local("qwen2.5-coder:32b"))
    assert names(chain) == [
        "qwen2.5-coder:32b",
        "qwen2.5-coder:14b",
        "deepseek-coder:33b",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
    ]


def test_tiers_without_a_fallback_stay_within_themselves() -> None:
    fast = fallback_chain(Settings(), local("qwen2.5-coder:3b", "fast"))
    assert names(fast) == ["qwen2.5-coder:3b", "qwen2.5-coder:7b", "deepseek-coder:6.7b"]
    assert {ref.tier for ref in fast} == {"fast"}
    assert fallback_chain(Settings(), HAIKU) == [HAIKU, SONNET]


def test_a_model_in_no_tier_has_no_fallback() -> None:
    ref = ModelRef("ollama", "llama3.2:3b", "")
    assert fallback_chain(Settings(), ref) == [ref]
    stray = ModelRef("anthropic", "claude-opus-5-5", "quality")  # a tier of another provider
    assert fallback_chain(Settings(), stray) == [stray]


def test_a_model_picked_into_a_pane_tier_falls_back_like_that_tier() -> None:
    picked = local("llama3.2:3b", "quality")
    assert names(fallback_chain(Settings(), picked)) == [
        "llama3.2:3b",
        "qwen2.5-coder:14b",
        "qwen2.5-coder:32b",
        "deepseek-coder:33b",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
    ]


def test_a_listed_model_without_a_tier_label_uses_the_tier_that_lists_it() -> None:
    chain = fallback_chain(Settings(), ModelRef("ollama", "deepseek-coder:33b", ""))
    assert chain[0] == ModelRef("ollama", "deepseek-coder:33b", "")
    assert chain[1:3] == [local("qwen2.5-coder:14b"), local("qwen2.5-coder:32b")]
    assert chain[-2:] == [SONNET, HAIKU]


def test_fallback_tiers_are_followed_in_turn_cycle_safe_and_without_duplicates() -> None:
    settings = Settings(
        tiers={
            "fast": TierSettings("ollama", ["a", "b"], fallback="quality"),
            "quality": TierSettings("ollama", ["c", "a"], fallback="big"),
            "big": TierSettings("ollama", ["d", "b"], fallback="fast"),  # back to the start
        }
    )
    chain = fallback_chain(settings, local("b", "fast"))
    assert [(ref.name, ref.tier) for ref in chain] == [
        ("b", "fast"),
        ("a", "fast"),
        ("c", "quality"),
        ("d", "big"),
    ]


def test_a_fallback_to_itself_or_to_a_missing_tier_just_stops() -> None:
    settings = Settings(
        tiers={
            "fast": TierSettings("ollama", ["a"], fallback="fast"),
            "quality": TierSettings("ollama", ["b"], fallback="gone"),
        }
    )
    assert names(fallback_chain(settings, local("a", "fast"))) == ["a"]
    assert names(fallback_chain(settings, local("b"))) == ["b"]


def test_the_same_name_under_another_provider_is_a_different_model() -> None:
    settings = Settings(
        tiers={
            "quality": TierSettings("ollama", ["m"], fallback="cloud"),
            "cloud": TierSettings("anthropic", ["m"]),
        }
    )
    assert fallback_chain(settings, local("m")) == [local("m"), claude("m")]


def test_fallback_kinds_are_the_failures_another_model_can_get_around() -> None:
    assert set(FALLBACK_KINDS) == {
        ErrorKind.UNREACHABLE,
        ErrorKind.MODEL_MISSING,
        ErrorKind.OVERLOADED,
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER_ERROR,
    }
    assert ErrorKind.AUTH not in FALLBACK_KINDS and ErrorKind.STREAM_CUT not in FALLBACK_KINDS


@pytest.mark.parametrize(
    ("current", "candidate", "crosses"),
    [
        (local("qwen2.5-coder:14b"), SONNET, True),
        (local("qwen2.5-coder:14b"), local("qwen2.5-coder:32b"), False),
        (SONNET, HAIKU, False),
        (SONNET, local("qwen2.5-coder:14b"), False),
    ],
)
def test_crosses_to_cloud_only_from_a_local_model_to_claude(
    current: ModelRef, candidate: ModelRef, crosses: bool
) -> None:
    assert crosses_to_cloud(current, candidate) is crosses


@pytest.mark.parametrize(
    ("failed", "kind", "candidate", "skip"),
    [
        # The Ollama server is down or busy: no other local model can answer either.
        (local("qwen2.5-coder:14b"), ErrorKind.UNREACHABLE, local("qwen2.5-coder:32b"), True),
        (local("qwen2.5-coder:14b"), ErrorKind.UNREACHABLE, SONNET, False),
        (local("qwen2.5-coder:14b"), ErrorKind.OVERLOADED, local("qwen2.5-coder:32b"), True),
        # One model missing says nothing about the others.
        (local("qwen2.5-coder:14b"), ErrorKind.MODEL_MISSING, local("qwen2.5-coder:32b"), False),
        (local("qwen2.5-coder:14b"), ErrorKind.MODEL_MISSING, local("qwen2.5-coder:14b"), True),
        # Anthropic's overload and rate limits are per model; a refused key or no route is not.
        (SONNET, ErrorKind.RATE_LIMITED, HAIKU, False),
        (SONNET, ErrorKind.OVERLOADED, HAIKU, False),
        (SONNET, ErrorKind.RATE_LIMITED, SONNET, True),
        (SONNET, ErrorKind.UNREACHABLE, HAIKU, True),
        (SONNET, ErrorKind.AUTH, HAIKU, True),
        (SONNET, ErrorKind.UNREACHABLE, local("qwen2.5-coder:14b"), False),
    ],
)
def test_skip_after_skips_candidates_that_would_fail_the_same_way(
    failed: ModelRef, kind: ErrorKind, candidate: ModelRef, skip: bool
) -> None:
    assert skip_after(failed, kind, candidate) is skip


def test_when_ollama_is_down_the_chain_goes_straight_to_claude() -> None:
    failed = local("qwen2.5-coder:14b")
    rest = fallback_chain(Settings(), failed)[1:]
    left = [ref for ref in rest if not skip_after(failed, ErrorKind.UNREACHABLE, ref)]
    assert left == [SONNET, HAIKU]
    assert crosses_to_cloud(failed, left[0])
