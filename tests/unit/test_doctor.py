"""`workbench doctor`'s checks, run against the fake Ollama server with the real client."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama, closed_port_url
from workbench.config import Settings, TierSettings, display_path, load_settings
from workbench.doctor import Check, exit_code, format_checks, run_checks

KEY = "sk-ant-doctor-secret"


def make_settings(host: str, *, key: str | None = KEY) -> Settings:
    """Two Ollama tiers the fake can serve and one cloud tier."""
    settings = Settings()
    settings.ollama.host = host
    settings.ollama.connect_timeout_s = 2
    settings.anthropic.api_key = key
    settings.tiers = {
        "fast": TierSettings("ollama", ["qwen2.5-coder:7b"]),
        "quality": TierSettings("ollama", ["llama3.2:3b"]),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5"]),
    }
    return settings


def by_name(checks: list[Check], name: str) -> list[Check]:
    return [c for c in checks if c.name == name]


async def test_a_good_setup_passes_every_check(fake_ollama: FakeOllama) -> None:
    checks = await run_checks(make_settings(fake_ollama.url), [])
    assert {c.level for c in checks} == {"ok"}
    assert exit_code(checks) == 0
    text = format_checks(checks)
    assert f"✓ ollama: Ollama {fake_ollama.version} at {fake_ollama.url}" in text
    assert "✓ tier fast: qwen2.5-coder:7b installed (7.6B, Q4_K_M)" in text
    assert "✓ tier quality: llama3.2:3b installed (3.1B, Q4_K_M)" in text
    assert "✓ anthropic: API key set (tier cloud)" in text
    assert "✓ data folder:" in text and "is writable" in text
    assert "fix:" not in text
    assert text.endswith("All checks passed.")
    assert KEY not in text


async def test_ollama_down_fails_with_the_fix() -> None:
    url = closed_port_url()
    checks = await run_checks(make_settings(url), [])
    (ollama,) = by_name(checks, "ollama")
    assert ollama.level == "fail"
    assert exit_code(checks) == 1
    text = format_checks(checks)
    assert f"✗ ollama: cannot reach Ollama at {url}" in text
    assert "fix: start it with `ollama serve`" in text and "OLLAMA_HOST" in text
    assert "tier fast" not in text  # nothing to say about models without a server


async def test_a_tier_with_none_of_its_models_installed_fails(fake_ollama: FakeOllama) -> None:
    settings = make_settings(fake_ollama.url)
    settings.tiers["quality"] = TierSettings("ollama", ["qwen2.5-coder:14b", "qwen2.5-coder:32b"])
    checks = await run_checks(settings, [])
    (quality,) = by_name(checks, "tier quality")
    assert quality.level == "fail"
    assert exit_code(checks) == 1
    text = format_checks(checks)
    assert "✗ tier quality: none of its models is installed" in text
    assert "fix: workbench pull --tier quality" in text
    assert text.endswith("1 failure.")


async def test_a_missing_model_in_a_working_tier_is_a_warning(fake_ollama: FakeOllama) -> None:
    settings = make_settings(fake_ollama.url)
    settings.tiers["fast"].models.append("qwen2.5-coder:3b")
    checks = await run_checks(settings, [])
    assert [c.level for c in by_name(checks, "tier fast")] == ["ok", "warn"]
    assert exit_code(checks) == 0
    text = format_checks(checks)
    assert "! tier fast: qwen2.5-coder:3b is not installed" in text
    assert "fix: ollama pull qwen2.5-coder:3b  (or: workbench pull --tier fast)" in text


async def test_a_model_named_without_a_tag_matches_latest(fake_ollama: FakeOllama) -> None:
    fake_ollama.models.append("mistral:latest")
    settings = make_settings(fake_ollama.url)
    settings.tiers["fast"] = TierSettings("ollama", ["mistral"])
    checks = await run_checks(settings, [])
    assert [c.level for c in by_name(checks, "tier fast")] == ["ok"]


async def test_a_bad_config_fails_and_names_file_and_line(
    fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "x"\n\n[ollama]\ntimeout_s = "soon"\n', encoding="utf-8")
    settings, problems = load_settings(path, env={})
    settings.ollama.host = fake_ollama.url
    checks = await run_checks(settings, problems)
    (config,) = by_name(checks, "config")
    assert config.level == "fail"
    assert exit_code(checks) == 1
    text = format_checks(checks)
    assert "✗ config: 1 problem; the settings concerned use their defaults" in text
    assert f"    {display_path(path)}:4: [ollama] timeout_s:" in text
    assert f"fix: edit {display_path(path)}" in text


async def test_a_valid_or_missing_config_file_is_ok(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "workbench-dark"\n', encoding="utf-8")
    for expected in ("is valid", "no config file"):
        settings, problems = load_settings(path, env={})
        settings.tiers = {}  # no server to ask
        (check,) = by_name(await run_checks(settings, problems), "config")
        assert check.level == "ok" and expected in check.detail
        path.unlink(missing_ok=True)


async def test_a_missing_api_key_only_warns(fake_ollama: FakeOllama) -> None:
    checks = await run_checks(make_settings(fake_ollama.url, key=None), [])
    (anthropic,) = by_name(checks, "anthropic")
    assert anthropic.level == "warn"
    assert exit_code(checks) == 0
    text = format_checks(checks)
    assert "! anthropic: no API key, so tier cloud cannot be used" in text
    assert "fix: export ANTHROPIC_API_KEY=" in text
    assert text.endswith("1 warning.")


async def test_an_unwritable_data_folder_fails(
    fake_ollama: FakeOllama, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(blocker / "data"))
    checks = await run_checks(make_settings(fake_ollama.url), [])
    (data,) = by_name(checks, "data folder")
    assert data.level == "fail"
    assert exit_code(checks) == 1
    assert "WORKBENCH_DATA_DIR" in (data.fix or "")


async def test_the_data_folder_check_leaves_nothing_behind(
    fake_ollama: FakeOllama, isolated_paths: Path
) -> None:
    checks = await run_checks(make_settings(fake_ollama.url), [])
    (data,) = by_name(checks, "data folder")
    assert data.level == "ok"
    assert list((isolated_paths / "data").iterdir()) == []


def test_format_puts_the_fix_under_its_check_and_can_be_ascii() -> None:
    checks = [
        Check("config", "ok", "fine"),
        Check("tier fast", "warn", "x is not installed", "ollama pull x"),
        Check("ollama", "fail", "down\nsecond line", "ollama serve"),
    ]
    assert format_checks(checks).splitlines() == [
        "✓ config: fine",
        "! tier fast: x is not installed",
        "    fix: ollama pull x",
        "✗ ollama: down",
        "    second line",
        "    fix: ollama serve",
        "",
        "1 failure, 1 warning.",
    ]
    assert format_checks(checks, ascii_only=True).splitlines()[0] == "ok config: fine"
    assert exit_code(checks) == 1
    assert exit_code(checks[:2]) == 0
