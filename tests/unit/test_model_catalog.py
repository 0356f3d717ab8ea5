"""The model catalog the pickers show, and the usage figures of the status bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workbench.config import Settings, TierSettings
from workbench.model_catalog import build_catalog, format_duration, loaded_label
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
    assert describe_reply(reply) == "1,204 in · 512 out · 51.2 tok/s"
    assert describe_reply(AssistantMessage(id="2", content="x")) == ""
