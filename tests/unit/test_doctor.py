"""`workbench doctor`'s checks, run against the fake servers with the real clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama, closed_port_url
from workbench.__main__ import main
from workbench.config import Settings, TierSettings, display_path, load_settings
from workbench.doctor import Check, exit_code, format_checks, run_checks

KEY = "sk-ant-doctor-secret"


@pytest.fixture
def cloud(fake_anthropic: FakeAnthropic) -> str:
    """The fake Anthropic API's URL; it accepts `KEY`."""
    fake_anthropic.valid_key = KEY
    return fake_anthropic.url


def make_settings(host: str, cloud: str | None = None, *, key: str | None = KEY) -> Settings:
    """Two Ollama tiers the fake can serve and one cloud tier."""
    settings = Settings()
    settings.ollama.host = host
    settings.ollama.connect_timeout_s = 2
    settings.anthropic.api_key = key
    settings.anthropic.base_url = cloud or closed_port_url()
    settings.tiers = {
        "fast": TierSettings("ollama", ["qwen2.5-coder:7b"]),
        "quality": TierSettings("ollama", ["llama3.2:3b"]),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5"]),
    }
    return settings


def by_name(checks: list[Check], name: str) -> list[Check]:
    return [c for c in checks if c.name == name]


async def test_a_good_setup_passes_every_check(fake_ollama: FakeOllama, cloud: str) -> None:
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [])
    assert {c.level for c in checks} == {"ok"}
    assert exit_code(checks) == 0
    text = format_checks(checks)
    assert f"✓ ollama: Ollama {fake_ollama.version} at {fake_ollama.url}" in text
    assert "✓ tier fast: qwen2.5-coder:7b installed (7.6B, Q4_K_M)" in text
    assert "✓ tier quality: llama3.2:3b installed (3.1B, Q4_K_M)" in text
    assert f"✓ anthropic: API key set (tier cloud); the API at {cloud} lists models" in text
    assert "✓ data folder:" in text and "is writable" in text
    assert "fix:" not in text
    assert text.endswith("All checks passed.")
    assert KEY not in text


async def test_ollama_down_fails_with_the_fix(cloud: str) -> None:
    url = closed_port_url()
    checks = await run_checks(make_settings(url, cloud), [])
    (ollama,) = by_name(checks, "ollama")
    assert ollama.level == "fail"
    assert exit_code(checks) == 1
    text = format_checks(checks)
    assert f"✗ ollama: cannot reach Ollama at {url}" in text
    assert "fix: start it with `ollama serve`" in text and "OLLAMA_HOST" in text
    assert "tier fast" not in text  # nothing to say about models without a server


async def test_a_tier_with_none_of_its_models_installed_fails(
    fake_ollama: FakeOllama, cloud: str
) -> None:
    settings = make_settings(fake_ollama.url, cloud)
    settings.tiers["quality"] = TierSettings("ollama", ["qwen2.5-coder:14b", "qwen2.5-coder:32b"])
    checks = await run_checks(settings, [])
    (quality,) = by_name(checks, "tier quality")
    assert quality.level == "fail"
    assert exit_code(checks) == 1
    text = format_checks(checks)
    assert "✗ tier quality: none of its models is installed" in text
    assert "fix: workbench pull --tier quality" in text
    assert text.endswith("1 failure.")


async def test_a_missing_model_in_a_working_tier_is_a_warning(
    fake_ollama: FakeOllama, cloud: str
) -> None:
    settings = make_settings(fake_ollama.url, cloud)
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
    fake_ollama: FakeOllama, cloud: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(blocker / "data"))
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [])
    (data,) = by_name(checks, "data folder")
    assert data.level == "fail"
    assert exit_code(checks) == 1
    assert "WORKBENCH_DATA_DIR" in (data.fix or "")


async def test_the_data_folder_check_leaves_nothing_behind(
    fake_ollama: FakeOllama, cloud: str, isolated_paths: Path
) -> None:
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [])
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


async def test_a_version_that_is_not_ollamas_warns_naming_the_url(
    fake_ollama: FakeOllama, cloud: str
) -> None:
    fake_ollama.version = "ollama-proxy-plus"
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [])
    (ollama,) = by_name(checks, "ollama")
    assert ollama.level == "warn"
    assert exit_code(checks) == 0
    text = format_checks(checks)
    assert (
        f"! ollama: the server at {fake_ollama.url} answered /api/version with "
        "'ollama-proxy-plus', not an Ollama version like 0.12.6: it may not be Ollama" in text
    )
    assert "OLLAMA_HOST" in (ollama.fix or "") and "--deep" in (ollama.fix or "")
    assert [c.level for c in by_name(checks, "tier fast")] == ["ok"]  # the models are listed


async def test_a_server_without_api_version_warns_and_still_lists_models(
    fake_ollama: FakeOllama, cloud: str
) -> None:
    fake_ollama.fixed_answers["/api/version"] = (404, {"detail": "Not Found"})
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [])
    text = format_checks(checks)
    assert (
        f"! ollama: the server at {fake_ollama.url} did not answer /api/version (HTTP 404)" in text
    )
    assert "✓ tier quality: llama3.2:3b installed" in text


async def test_the_anthropic_check_asks_for_the_model_list_only(
    fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic, cloud: str
) -> None:
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [])
    (anthropic,) = by_name(checks, "anthropic")
    assert anthropic.level == "ok"
    assert [(r.method, r.path) for r in fake_anthropic.requests] == [("GET", "/v1/models")]
    assert fake_anthropic.message_requests() == []  # nothing generated, no text sent


async def test_a_gateway_answering_404_everywhere_fails_naming_the_url(
    fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic, cloud: str
) -> None:
    fake_anthropic.not_found_everywhere = True
    for base in (cloud, f"{cloud}/v1"):
        checks = await run_checks(make_settings(fake_ollama.url, base), [])
        (anthropic,) = by_name(checks, "anthropic")
        assert anthropic.level == "fail"
        assert exit_code(checks) == 1
        assert anthropic.detail == (
            f"the server at {base} answered HTTP 404 to GET /v1/models and to POST "
            "/v1/messages: the base URL is wrong, so tier cloud cannot work"
        )
        assert "ANTHROPIC_BASE_URL" in (anthropic.fix or "") and base in (anthropic.fix or "")
    assert "without the trailing /v1" in (anthropic.fix or "")
    assert fake_anthropic.streams_started == 0


async def test_a_gateway_without_the_model_list_passes_on_an_empty_message_request(
    fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic, cloud: str
) -> None:
    fake_anthropic.serves_models = False
    fake_anthropic.rejects_empty_messages = True
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [])
    (anthropic,) = by_name(checks, "anthropic")
    assert (anthropic.level, anthropic.detail) == (
        "ok",
        f"API key set (tier cloud); the API at {cloud} answers /v1/messages",
    )
    (probe,) = fake_anthropic.message_requests()
    assert probe["messages"] == [] and probe["max_tokens"] == 1
    assert fake_anthropic.streams_started == 0


async def test_a_rejected_or_unreachable_anthropic_api_fails(
    fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic, cloud: str
) -> None:
    fake_anthropic.valid_key = "sk-other"
    (anthropic,) = by_name(await run_checks(make_settings(fake_ollama.url, cloud), []), "anthropic")
    assert anthropic.level == "fail"
    assert anthropic.detail.startswith(f"the API at {cloud} rejected the API key (HTTP 401")
    assert "ANTHROPIC_API_KEY" in (anthropic.fix or "")
    down = closed_port_url()
    (anthropic,) = by_name(await run_checks(make_settings(fake_ollama.url, down), []), "anthropic")
    assert anthropic.level == "fail" and f"Cannot reach the Anthropic API at {down}" in (
        anthropic.detail
    )
    assert KEY not in anthropic.detail


async def test_a_key_is_checked_even_without_a_cloud_tier(
    fake_ollama: FakeOllama, cloud: str
) -> None:
    settings = make_settings(fake_ollama.url, cloud)
    del settings.tiers["cloud"]
    (anthropic,) = by_name(await run_checks(settings, []), "anthropic")
    assert anthropic.detail == f"API key set (no tier uses it); the API at {cloud} lists models"


async def test_deep_chats_one_token_with_each_local_tier_and_skips_the_cloud(
    fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic, cloud: str
) -> None:
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [], deep=True)
    fast, quality = by_name(checks, "chat fast") + by_name(checks, "chat quality")
    assert (fast.level, quality.level) == ("ok", "ok")
    assert fast.detail.startswith(f"qwen2.5-coder:7b at {fake_ollama.url} answered in ")
    assert quality.detail.startswith(f"llama3.2:3b at {fake_ollama.url} answered in ")
    requests = fake_ollama.chat_requests()
    assert [r["model"] for r in requests] == ["qwen2.5-coder:7b", "llama3.2:3b"]
    assert all(r["options"]["num_predict"] == 1 for r in requests)
    (skipped,) = by_name(checks, "chat cloud")
    assert skipped.level == "skip"
    assert f"at {cloud}, which is billed" in skipped.detail
    assert fake_anthropic.message_requests() == []  # nothing left the machine
    text = format_checks(checks)
    assert "    fix: workbench doctor --deep --cloud" in text
    assert text.endswith("All checks passed; 1 skipped.")
    assert exit_code(checks) == 0


async def test_deep_with_cloud_sends_one_token_to_the_cloud_tier(
    fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic, cloud: str
) -> None:
    settings = make_settings(fake_ollama.url, cloud)
    checks = await run_checks(settings, [], deep=True, cloud=True)
    (chat,) = by_name(checks, "chat cloud")
    assert chat.level == "ok"
    assert chat.detail.startswith(f"claude-sonnet-5-5 at {cloud} answered in ")
    (request,) = fake_anthropic.message_requests()
    assert (request["model"], request["max_tokens"]) == ("claude-sonnet-5-5", 1)
    assert exit_code(checks) == 0


async def test_deep_reports_each_failure_with_its_url(
    fake_ollama: FakeOllama, fake_anthropic: FakeAnthropic, cloud: str
) -> None:
    settings = make_settings(fake_ollama.url, cloud)
    settings.tiers["fast"] = TierSettings("ollama", ["qwen2.5-coder:14b"])  # not installed
    fake_anthropic.status_override = 529
    checks = await run_checks(settings, [], deep=True, cloud=True)
    (fast,) = by_name(checks, "chat fast")
    assert fast.level == "fail"
    assert fast.detail.startswith("qwen2.5-coder:14b did not answer: ")
    assert fake_ollama.url in fast.detail
    (chat,) = by_name(checks, "chat cloud")
    assert chat.level == "fail"
    assert chat.detail.startswith("claude-sonnet-5-5 did not answer: ") and cloud in chat.detail
    assert exit_code(checks) == 1


async def test_deep_warns_when_a_model_answers_without_text(
    fake_ollama: FakeOllama, cloud: str
) -> None:
    fake_ollama.reply = ""
    checks = await run_checks(make_settings(fake_ollama.url, cloud), [], deep=True)
    (fast,) = by_name(checks, "chat fast")
    assert fast.level == "warn"
    assert "finished in" in fast.detail and "without any text" in fast.detail


def test_the_cli_runs_deep_checks_only_when_asked(
    fake_ollama: FakeOllama, isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_paths / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[ollama]\nhost = "{fake_ollama.url}"\n\n'
        '[tiers.fast]\nprovider = "ollama"\nmodels = ["llama3.2:3b"]\n\n'
        '[tiers.quality]\nprovider = "ollama"\nmodels = ["qwen2.5-coder:7b"]\n\n'
        '[tiers.cloud]\nprovider = "anthropic"\nmodels = ["claude-sonnet-5-5"]\n',
        encoding="utf-8",
    )
    assert main(["doctor"]) == 0
    assert "chat fast" not in capsys.readouterr().out
    assert fake_ollama.chat_requests() == []
    assert main(["doctor", "--deep"]) == 0
    captured = capsys.readouterr()
    assert f"✓ chat fast: llama3.2:3b at {fake_ollama.url} answered in " in captured.out
    assert "- chat cloud: not tried" in captured.out
    assert "one-token chat" in captured.err
    assert len(fake_ollama.chat_requests()) == 2
