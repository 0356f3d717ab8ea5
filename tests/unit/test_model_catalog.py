"""The model catalog the pickers show, and the usage figures of the status bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workbench.config import ModelRef, Settings, TierSettings
from workbench.model_catalog import (
    build_catalog,
    format_duration,
    group_catalog,
    loaded_label,
    middle_ellipsis,
)
from workbench.providers.base import LoadedModel, ModelInfo
from workbench.session.model import AssistantMessage, UserMessage
from workbench.usage import describe_reply, session_cost

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def settings(key: str | None = None) -> Settings:
    result = Settings()
    result.tiers = {
        "fast": TierSettings("ollama", ["a:7b", "b:3b"]),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5"]),
    }
    result.anthropic.api_key = key
    return result


def test_catalog_marks_state_size_and_memory() -> None:
    installed = [
        ModelInfo(
            "a:7b", "ollama", size_bytes=4_700_000_000, parameter_size="7.6B", quantization="Q4_K_M"
        ),
        ModelInfo("extra:1b", "ollama"),
    ]
    loaded = [LoadedModel("a:7b", vram_bytes=5_100_000_000, expires_at=NOW + timedelta(minutes=4))]
    entries = build_catalog(settings(), installed, loaded)
    by_name = {e.ref.name: e for e in entries}
    assert [e.ref.name for e in entries] == ["a:7b", "b:3b", "claude-sonnet-5-5", "extra:1b"]
    assert by_name["a:7b"].state == "installed"
    assert by_name["a:7b"].size == "7.6B Q4_K_M 4.7 GB"
    assert by_name["a:7b"].memory(NOW) == "loaded · 5.1 GB VRAM · 4 min left"
    assert by_name["b:3b"].can_pull and by_name["b:3b"].status == "not installed"
    assert by_name["claude-sonnet-5-5"].state == "no-key"
    assert by_name["extra:1b"].badge == "other"


def test_catalog_without_ollama_says_unknown_and_cloud_with_key() -> None:
    entries = build_catalog(settings("sk-x"), None)
    assert [e.state for e in entries] == ["unknown", "unknown", "cloud"]
    assert not any(e.can_pull for e in entries)


def test_a_model_in_two_tiers_is_one_entry_with_both_and_other_installed_come_last() -> None:
    config = settings()
    config.tiers = {
        "fast": TierSettings("ollama", ["a:7b", "shared:3b"]),
        "quality": TierSettings("ollama", ["q:14b", "shared:3b", "shared:3b"]),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5"]),
    }
    installed = [ModelInfo(n, "ollama") for n in ("zeta:1b", "shared:3b", "alpha:2b", "a:7b")]
    entries = build_catalog(config, installed)
    assert [e.ref.name for e in entries] == [
        "a:7b",
        "shared:3b",
        "q:14b",
        "claude-sonnet-5-5",
        "zeta:1b",  # Ollama's order, not sorted
        "alpha:2b",
    ]
    shared = entries[1]
    assert shared.tiers == ("fast", "quality") and shared.ref.tier == "fast"
    assert shared.tiers_label == "fast, quality" and shared.badge == "⚡ fast, ◆ quality"
    assert shared.ref_in("quality") == ModelRef("ollama", "shared:3b", "quality")
    assert shared.ref_in("cloud") == shared.ref_in("") == shared.ref  # not one of its tiers
    assert entries[4].tiers == () and entries[4].tiers_label == "" and entries[4].badge == "other"

    groups = group_catalog(entries)
    assert [(g.tier, g.title) for g in groups] == [
        ("fast", "⚡ fast"),
        ("quality", "◆ quality"),
        ("cloud", "☁ cloud"),
        ("", "other installed"),
    ]
    assert [[e.ref.name for e in g.entries] for g in groups] == [
        ["a:7b", "shared:3b"],
        ["q:14b"],
        ["claude-sonnet-5-5"],
        ["zeta:1b", "alpha:2b"],
    ]


def test_the_filter_keeps_matching_names_under_their_headings() -> None:
    config = settings()
    config.tiers["quality"] = TierSettings("ollama", ["big:14b"])
    installed = [ModelInfo(n, "ollama") for n in ("a:7b", "Big-Coder:1b", "tiny:1b")]
    entries = build_catalog(config, installed)
    found = group_catalog(entries, "  BIG ")
    assert [(g.title, [e.ref.name for e in g.entries]) for g in found] == [
        ("◆ quality", ["big:14b"]),
        ("other installed", ["Big-Coder:1b"]),
    ]
    # Every word must be in the name, in any order.
    found = group_catalog(entries, "1b coder")
    assert [e.ref.name for g in found for e in g.entries] == ["Big-Coder:1b"]
    assert group_catalog(entries, "nothing-like-it") == []


def test_middle_ellipsis_keeps_the_start_and_more_of_the_end() -> None:
    name = "openrouter/anthropic/claude-3.5-sonnet-20241022"
    assert middle_ellipsis(name, len(name)) == name
    assert middle_ellipsis(name, 35) == "openrouter/anth…3.5-sonnet-20241022"
    for width in range(2, len(name)):
        cut = middle_ellipsis(name, width)
        head, tail = cut.split("…")
        assert len(cut) == width and name.startswith(head) and name.endswith(tail)
        assert len(tail) >= len(head)
    assert [middle_ellipsis("abcdef", w) for w in (0, 1, 2, 5)] == ["", "…", "…f", "a…def"]
    # Wide characters take two cells each: the cut counts cells, not characters.
    assert middle_ellipsis("模型模型模型模型", 7) == "模…模型"


def test_durations_and_forever() -> None:
    assert [format_duration(s) for s in (30, 240, 7200)] == ["30 s", "4 min", "2 h"]
    forever = LoadedModel("m", size_bytes=2_000_000_000, expires_at=NOW + timedelta(days=9000))
    assert loaded_label(forever, NOW) == "loaded · 2.0 GB RAM · kept loaded"


def test_session_cost_counts_priced_replies_only() -> None:
    replies = [
        AssistantMessage(
            id="1",
            content="x",
            model="claude-sonnet-5-5",
            input_tokens=1_000_000,
            output_tokens=100_000,
        ),
        AssistantMessage(
            id="2", content="y", model="qwen2.5-coder:7b", input_tokens=5, output_tokens=5
        ),
        UserMessage(id="3", content="z"),
    ]
    assert session_cost(replies, Settings().models) == 3.0 + 1.5


def test_describe_reply() -> None:
    reply = AssistantMessage(
        id="1", content="x", input_tokens=1204, output_tokens=512, duration_s=10.0
    )
    # Without the server's timings the speed is the wall time's, loading included: said so.
    assert describe_reply(reply) == "1,204 in · 512 out · 51.2 tok/s (wall)"
    reply.generation_s = 5.12
    assert describe_reply(reply) == "1,204 in · 512 out · 100.0 tok/s"
    assert describe_reply(AssistantMessage(id="2", content="x")) == ""
