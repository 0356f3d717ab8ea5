"""Settings: zero-config defaults, file then environment, and bad files reported precisely."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from workbench import paths
from workbench.config import (
    DEFAULT_OLLAMA_HOST,
    ConfigError,
    ConfigProblem,
    ModelRef,
    display_path,
    load_settings,
    models_for_pane,
    normalize_ollama_host,
    tier_of,
)
from workbench.config_file import EXAMPLE_CONFIG, format_settings, remember_theme


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_working_defaults_and_no_problems() -> None:
    settings, problems = load_settings(env={})
    assert problems == []
    assert settings.source is None
    assert settings.theme == "workbench-dark"
    assert settings.ollama.host == "http://127.0.0.1:11434"
    assert settings.anthropic.api_key is None
    assert settings.tiers["fast"].models == ["qwen2.5-coder:7b", "qwen2.5-coder:3b"]
    assert settings.tiers["quality"].models == ["qwen2.5-coder:14b", "qwen2.5-coder:32b"]
    assert settings.tiers["cloud"].provider == "anthropic"
    assert "fenced" in settings.explore_system_prompt
    assert (
        "full" in settings.implement_system_prompt or "complete" in settings.implement_system_prompt
    )


def test_panes_get_their_tiers_in_order() -> None:
    settings, _ = load_settings(env={})
    assert [m.name for m in models_for_pane(settings, "explore")] == [
        "qwen2.5-coder:7b",
        "qwen2.5-coder:3b",
    ]
    implement = models_for_pane(settings, "implement")
    assert [m.tier for m in implement] == ["quality", "quality", "cloud", "cloud"]
    assert implement[2] == ModelRef("anthropic", "claude-sonnet-5-5", "cloud")
    assert tier_of(settings, "ollama", "qwen2.5-coder:14b") == "quality"
    assert tier_of(settings, "anthropic", "qwen2.5-coder:14b") is None


def test_file_values_apply_and_a_new_tier_joins_the_implement_pane() -> None:
    write_config(
        'theme = "nord"\n[ollama]\nhost = "gpu-box:9999"\ntimeout_s = 30\n'
        '[tiers.fast]\nmodels = ["llama3.2:3b"]\n'
        '[tiers.big]\nprovider = "ollama"\nmodels = ["deepseek-coder:33b"]\n'
    )
    settings, problems = load_settings(env={})
    assert problems == []
    assert settings.source == paths.config_file()
    assert settings.theme == "nord"
    assert settings.ollama.host == "http://gpu-box:9999"
    assert settings.ollama.timeout_s == 30.0
    assert [m.name for m in models_for_pane(settings, "explore")] == ["llama3.2:3b"]
    assert models_for_pane(settings, "implement")[-1] == ModelRef(
        "ollama", "deepseek-coder:33b", "big"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.0.0.0:11434", "http://0.0.0.0:11434"),
        ("localhost", "http://localhost:11434"),
        (":5000", "http://127.0.0.1:5000"),
        ("https://ollama.example.com", "https://ollama.example.com:443"),
        ("http://box:8080/ollama/", "http://box:8080/ollama"),
        ("[::1]", "http://[::1]:11434"),
        ("", DEFAULT_OLLAMA_HOST),
    ],
)
def test_ollama_host_is_normalized_like_the_ollama_client(value: str, expected: str) -> None:
    assert normalize_ollama_host(value) == expected


def test_environment_overrides_the_file() -> None:
    write_config(
        '[ollama]\nhost = "file-host"\n'
        '[anthropic]\napi_key = "from-file"\nbase_url = "https://file.example"\n'
    )
    env = {
        "OLLAMA_HOST": "0.0.0.0:11434",
        "ANTHROPIC_API_KEY": "from-env",
        "ANTHROPIC_BASE_URL": "https://proxy.example",
    }
    settings, problems = load_settings(env=env)
    assert problems == []
    assert settings.ollama.host == "http://0.0.0.0:11434"
    assert settings.ollama.host_source == "env"
    assert settings.anthropic.api_key == "from-env"
    assert settings.anthropic.api_key_source == "env"
    assert settings.anthropic.base_url == "https://proxy.example"


def test_key_from_file_is_used_without_env_and_never_shown() -> None:
    write_config('[anthropic]\napi_key = "sk-ant-secret"\n')
    settings, _ = load_settings(env={})
    assert settings.anthropic.api_key == "sk-ant-secret"
    assert "sk-ant-secret" not in repr(settings)
    report = format_settings(settings, [])
    assert "sk-ant-secret" not in report
    assert "set (from file)" in report


def test_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "envhost")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    settings, _ = load_settings()
    assert settings.ollama.host == "http://envhost:11434"
    assert "set (from env)" in format_settings(settings, [])


def test_syntax_error_is_reported_with_its_line_and_everything_stays_default() -> None:
    path = write_config('theme = "nord"\n\n[ollama]\nhost = "x\n')
    settings, problems = load_settings(env={})
    assert len(problems) == 1
    assert problems[0].line == 4
    assert str(problems[0]).startswith(f"{display_path(path)}:4: invalid TOML")
    assert settings.theme == "workbench-dark"  # valid lines before the error are not half-applied


def test_wrong_type_names_key_and_line_and_other_keys_still_apply() -> None:
    path = write_config(
        "# my settings\n"
        'theme = "nord"\n'
        "\n"
        "[ollama]\n"
        'host = "gpu:11434"\n'
        'timeout_s = "fast"\n'
        "connect_timeout_s = 2\n"
    )
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [(6, "ollama.timeout_s")]
    assert str(problems[0]).startswith(
        f'{display_path(path)}:6: [ollama] timeout_s: expected a number, got "fast"'
    )
    assert settings.ollama.timeout_s == 300.0
    assert settings.ollama.connect_timeout_s == 2.0
    assert settings.ollama.host == "http://gpu:11434"
    assert settings.theme == "nord"


def test_unknown_keys_and_bad_values_are_each_reported_with_their_line() -> None:
    write_config(
        "autosave_delay_s = -1\n"
        "[anthropic]\nmax_tokens = 1.5\nmax_retry = 3\n"
        '[tiers.cloud]\nprovider = "openai"\nmodels = ["claude-opus-5"]\n'
        "[keys]\nquit = 'ctrl+q'\n"
    )
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [
        (1, "autosave_delay_s"),
        (3, "anthropic.max_tokens"),
        (4, "anthropic.max_retry"),
        (6, "tiers.cloud.provider"),
        (8, "keys"),
    ]
    assert "unknown" in problems[2].message and "max_retries" in problems[2].message
    assert settings.autosave_delay_s == 0.5
    assert settings.anthropic.max_tokens == 8192
    # The bad provider keeps its default; the valid models in the same table still apply.
    assert settings.tiers["cloud"].provider == "anthropic"
    assert settings.tiers["cloud"].models == ["claude-opus-5"]


def test_lines_inside_a_multiline_prompt_are_not_mistaken_for_keys() -> None:
    write_config(
        '[prompts]\nexplore = """\n[ollama]\ntimeout_s = 1\n"""\n[ollama]\ntimeout_s = "fast"\n'
    )
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [(7, "ollama.timeout_s")]
    assert settings.explore_system_prompt == "[ollama]\ntimeout_s = 1\n"


def test_problem_path_shows_home_as_tilde() -> None:
    problem = ConfigProblem(
        Path.home() / ".config/workbench/config.toml", 12, "ollama.timeout_s", "x"
    )
    assert str(problem) == "~/.config/workbench/config.toml:12: [ollama] timeout_s: x"


def test_unreadable_file_is_a_problem_not_a_crash() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b'theme = "\xff"\n')
    settings, problems = load_settings(env={})
    assert len(problems) == 1 and problems[0].path == path
    assert settings.theme == "workbench-dark"


def test_invalid_ollama_host_in_env_is_reported_and_ignored() -> None:
    write_config('[ollama]\nhost = "file-host"\n')
    settings, problems = load_settings(env={"OLLAMA_HOST": "box:notaport"})
    assert settings.ollama.host == "http://file-host:11434"
    assert "OLLAMA_HOST" in str(problems[0])


def test_example_config_loads_without_problems() -> None:
    write_config(EXAMPLE_CONFIG)
    settings, problems = load_settings(env={})
    assert problems == []
    assert settings.source is not None
    defaults, _ = load_settings(path=Path("/nonexistent/config.toml"), env={})
    assert settings.tiers == defaults.tiers


def test_format_settings_names_the_file_tiers_and_problems() -> None:
    path = write_config("[ollama]\ntimeout_s = false\n")
    settings, problems = load_settings(env={})
    report = format_settings(settings, problems)
    assert f"{display_path(path)} (found)" in report
    assert "qwen2.5-coder:7b, qwen2.5-coder:3b" in report
    assert "API key not set" in report
    assert f"{display_path(path)}:2: [ollama] timeout_s" in report
    missing, none = load_settings(path=path.with_name("missing.toml"), env={})
    assert "not found" in format_settings(missing, none)


def test_remember_theme_keeps_comments_and_other_settings() -> None:
    original = (
        "# My workbench config\n"
        'theme = "nord"  # favourite\n'
        "\n"
        "[ollama]\n"
        "# the GPU box\n"
        'host = "gpu"\n'
        'theme = "not-this-one"\n'
    )
    path = write_config(original)
    remember_theme("gruvbox")
    text = path.read_text()
    assert text == original.replace('"nord"', '"gruvbox"')
    assert tomllib.loads(text)["ollama"]["theme"] == "not-this-one"


def test_remember_theme_inserts_at_top_when_absent_and_creates_missing_file() -> None:
    path = write_config('[ollama]\nhost = "gpu"\n')
    remember_theme("dracula")
    assert path.read_text() == 'theme = "dracula"\n[ollama]\nhost = "gpu"\n'
    path.unlink()
    path.parent.rmdir()
    remember_theme('odd "name"')
    assert tomllib.loads(path.read_text())["theme"] == 'odd "name"'
    settings, problems = load_settings(env={})
    assert (settings.theme, problems) == ('odd "name"', [])


def test_remember_theme_leaves_a_broken_file_alone() -> None:
    path = write_config("[ollama\nbroken = \n")
    before = path.read_bytes()
    with pytest.raises(ConfigError):
        remember_theme("nord")
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["config.toml"]  # no temp file left behind


def test_remember_theme_keeps_file_permissions() -> None:
    path = write_config('[anthropic]\napi_key = "secret"\n')
    path.chmod(0o600)
    remember_theme("nord")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == ["config.toml"]
