"""Settings: zero-config defaults, file then environment, and bad files reported precisely."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from workbench import config_reader, paths
from workbench.config import (
    DEFAULT_OLLAMA_HOST,
    ConfigError,
    ConfigProblem,
    ModelRef,
    ModelSettings,
    display_path,
    load_settings,
    models_for_pane,
    normalize_ollama_host,
    tier_for,
    tier_of,
)
from workbench.config_file import EXAMPLE_CONFIG, format_settings, remember_theme
from workbench.providers.base import ModelOptions

FAST = ["qwen2.5-coder:7b", "qwen2.5-coder:3b", "deepseek-coder:6.7b"]
QUALITY = ["qwen2.5-coder:14b", "qwen2.5-coder:32b", "deepseek-coder:33b"]


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
    assert settings.tiers["fast"].models == FAST
    assert settings.tiers["quality"].models == QUALITY
    assert settings.tiers["cloud"].provider == "anthropic"
    assert settings.tiers["cloud"].models == ["claude-sonnet-5-5", "claude-haiku-5-5"]
    assert "fenced" in settings.explore_system_prompt
    assert (
        "full" in settings.implement_system_prompt or "complete" in settings.implement_system_prompt
    )


def test_panes_get_their_tiers_in_order() -> None:
    settings, _ = load_settings(env={})
    assert [m.name for m in models_for_pane(settings, "explore")] == FAST
    implement = models_for_pane(settings, "implement")
    assert [m.tier for m in implement] == ["quality"] * 3 + ["cloud"] * 2
    assert implement[3] == ModelRef("anthropic", "claude-sonnet-5-5", "cloud")
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
        "[colours]\nquit = 'red'\n"
    )
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [
        (1, "autosave_delay_s"),
        (3, "anthropic.max_tokens"),
        (4, "anthropic.max_retry"),
        (6, "tiers.cloud.provider"),
        (8, "colours"),
    ]
    assert "unknown section" in problems[4].message and "[keys]" in problems[4].message
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


def test_remember_theme_adds_the_key_before_the_first_table() -> None:
    original = (
        "# keys first\n"
        "autosave_delay_s = 1.0\n"
        "\n"
        "[ollama]\n"
        'host = "gpu"  # the GPU box\n'
        "\n"
        '[tiers.fast]\nprovider = "ollama"\nmodels = ["a"]\n'
        "\n"
        '[models."qwen2.5:7b"]\ncontext_window = 32768\n'
    )
    path = write_config(original)
    remember_theme("dracula")
    text = path.read_text()
    assert text == original.replace("1.0\n", '1.0\ntheme = "dracula"\n')
    data = tomllib.loads(text)
    assert data["theme"] == "dracula"
    assert "theme" not in data["ollama"] and "theme" not in data["tiers"]["fast"]


def test_remember_theme_in_a_file_of_tables_only() -> None:
    path = write_config('[ollama]\nhost = "gpu"\n')
    remember_theme("dracula")
    assert path.read_text() == 'theme = "dracula"\n\n[ollama]\nhost = "gpu"\n'


def test_remember_theme_creates_a_missing_file_and_folder() -> None:
    path = paths.config_file()
    assert not path.parent.exists()
    remember_theme('odd "name"')
    assert path.read_text() == 'theme = "odd \\"name\\""\n'
    settings, problems = load_settings(env={})
    assert (settings.theme, problems) == ('odd "name"', [])


def test_remember_theme_keeps_windows_line_endings() -> None:
    path = write_config('# mine\r\ntheme = "nord"\r\n[ollama]\r\nhost = "gpu"\r\n')
    remember_theme("gruvbox")
    assert path.read_bytes() == b'# mine\r\ntheme = "gruvbox"\r\n[ollama]\r\nhost = "gpu"\r\n'
    path.write_bytes(b'[ollama]\r\nhost = "gpu"\r\n')
    remember_theme("nord")
    assert path.read_bytes() == b'theme = "nord"\r\n\r\n[ollama]\r\nhost = "gpu"\r\n'


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


# --- Tiers, generation options, keys and the new [ollama] / [anthropic] settings ---------------


def test_defaults_of_tiers_options_keys_and_fallback_settings() -> None:
    settings, problems = load_settings(env={})
    assert problems == []
    fast, quality, cloud = (settings.tiers[t] for t in ("fast", "quality", "cloud"))
    assert (fast.fallback, quality.fallback, cloud.fallback) == (None, "cloud", None)
    assert fast.options() == ModelOptions(temperature=0.3, keep_alive="30m")
    assert quality.options() == ModelOptions(keep_alive="30m")
    assert cloud.options() == ModelOptions()
    assert all(t.system_prompt is None for t in settings.tiers.values())
    assert (settings.ollama.warm_up, settings.ollama.poll_interval_s) == (True, 5.0)
    assert settings.anthropic.fallback_without_asking is False
    assert settings.keys == {}


def test_every_new_key_is_read_from_the_file() -> None:
    write_config(
        "[ollama]\nwarm_up = false\npoll_interval_s = 2.5\n"
        "[anthropic]\nfallback_without_asking = true\n"
        "[tiers.fast]\nfallback = 'quality'\nsystem_prompt = 'Be brief.'\n"
        "temperature = 0.5\nnum_ctx = 8192\nmax_tokens = 1024\nkeep_alive = '1h'\n"
        "[tiers.quality]\nfallback = 'big'\n"  # a tier defined further down
        "[tiers.big]\nmodels = ['deepseek-coder:33b']\nkeep_alive = 600\n"
        '[models."qwen2.5-coder:14b"]\ntemperature = 0\nnum_ctx = 32768\n'
        "max_tokens = 4096\nkeep_alive = '-1'\n"
        "[keys]\nsend = 'ctrl+enter'\nfocus_explore = 'f6, ctrl+e'\n"
    )
    settings, problems = load_settings(env={})
    assert problems == []
    assert (settings.ollama.warm_up, settings.ollama.poll_interval_s) == (False, 2.5)
    assert settings.anthropic.fallback_without_asking is True
    fast = settings.tiers["fast"]
    assert (fast.fallback, fast.system_prompt) == ("quality", "Be brief.")
    assert fast.options() == ModelOptions(0.5, 8192, 1024, "1h")
    assert settings.tiers["quality"].fallback == "big"
    assert settings.tiers["big"].options() == ModelOptions(keep_alive=600)
    assert settings.model_info("qwen2.5-coder:14b").options() == ModelOptions(0.0, 32768, 4096, -1)
    assert settings.keys == {"send": "ctrl+enter", "focus_explore": "f6,ctrl+e"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"30m"', "30m"),
        ('"1h"', "1h"),
        ('"90s"', "90s"),
        ('"1h30m"', "1h30m"),
        ('"1.5h"', "1.5h"),
        ('"-1"', -1),  # Ollama parses a string only with a unit: a bare number is sent as one
        ('"0"', 0),
        (" 3600", 3600),
        ("-1", -1),
        ('""', None),  # clears the tier's built-in "30m"
    ],
)
def test_keep_alive_accepts_durations_and_whole_seconds(value: str, expected: object) -> None:
    write_config(f"[tiers.fast]\nkeep_alive = {value}\n")
    settings, problems = load_settings(env={})
    assert problems == []
    assert settings.tiers["fast"].keep_alive == expected


@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        ("[ollama]\nwarm_up = 'yes'", "ollama.warm_up", 'expected true or false, got "yes"'),
        ("[ollama]\npoll_interval_s = 0", "ollama.poll_interval_s", "expected a number above 0"),
        (
            "[anthropic]\nfallback_without_asking = 1",
            "anthropic.fallback_without_asking",
            "expected true or false, got 1",
        ),
        ("[tiers.fast]\ntemperature = 2.5", "tiers.fast.temperature", "from 0 to 2, got 2.5"),
        ("[tiers.fast]\ntemperature = -0.1", "tiers.fast.temperature", "from 0 to 2, got -0.1"),
        ("[tiers.fast]\nnum_ctx = 0", "tiers.fast.num_ctx", "whole number of at least 1"),
        ("[tiers.fast]\nmax_tokens = 10.5", "tiers.fast.max_tokens", "expected a whole number"),
        ("[tiers.fast]\nkeep_alive = '30 minutes'", "tiers.fast.keep_alive", "expected a duration"),
        ("[tiers.fast]\nkeep_alive = 'forever'", "tiers.fast.keep_alive", "expected a duration"),
        ("[tiers.fast]\nkeep_alive = 1.5", "tiers.fast.keep_alive", "or whole seconds, got 1.5"),
        ("[tiers.fast]\nkeep_alive = true", "tiers.fast.keep_alive", "expected a duration"),
        ("[tiers.fast]\nsystem_prompt = 3", "tiers.fast.system_prompt", "expected a string"),
        ("[tiers.fast]\nfallback = ['cloud']", "tiers.fast.fallback", "expected a string"),
        ("[tiers.fast]\ntemprature = 0.2", "tiers.fast.temprature", "unknown setting"),
        ('[models."m:1b"]\ntemperature = 3', 'models."m:1b".temperature', "from 0 to 2"),
        ('[models."m:1b"]\nnum_ctx = -5', 'models."m:1b".num_ctx', "at least 1, got -5"),
        ('[models."m:1b"]\nmax_tokens = "lots"', 'models."m:1b".max_tokens', "whole number"),
        ('[models."m:1b"]\nkeep_alive = "5 min"', 'models."m:1b".keep_alive', "a duration"),
        ('[models."m:1b"]\ntop_p = 0.9', 'models."m:1b".top_p', "unknown setting"),
        ("[keys]\nsend = ''", "keys.send", 'expected keys such as "ctrl+enter"'),
        ("[keys]\nsend = 'ctrl enter'", "keys.send", "expected keys"),
        ("[keys]\nsend = 'f6,,f7'", "keys.send", "expected keys"),
        ("[keys]\nsend = ['f6']", "keys.send", "expected a string, got an array"),
        ('[keys]\n"" = "f6"', 'keys.""', "expected a binding id"),
        ("theme = 'nord'\nkeys = 'f6'", "keys", "expected a table [keys]"),
    ],
)
def test_each_bad_new_value_is_reported_with_its_line_and_key(
    table: str, line: str, message: str
) -> None:
    path = write_config(f"# comment\n{table}\n")
    defaults, _ = load_settings(path=path.with_name("missing.toml"), env={})
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [(3, line)]
    assert message in problems[0].message
    assert str(problems[0]).startswith(f"{display_path(path)}:{problems[0].line}: ")
    # The bad value is dropped: everything keeps its default.
    assert (settings.tiers, settings.keys) == (defaults.tiers, defaults.keys)
    assert (settings.ollama, settings.anthropic) == (defaults.ollama, defaults.anthropic)
    assert settings.model_info("m:1b") == ModelSettings()


def test_a_bad_fallback_is_reported_and_the_default_kept() -> None:
    path = write_config(
        "[tiers.quality]\nfallback = 'clowd'\n"
        "[tiers.fast]\nfallback = 'fast'\n"
        "[tiers.big]\nmodels = ['deepseek-coder:33b']\nfallback = 'nowhere'\n"
        "[tiers.cloud]\nfallback = ''\n"  # "" turns a fallback off; cloud has none anyway
    )
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [
        (2, "tiers.quality.fallback"),
        (4, "tiers.fast.fallback"),
        (7, "tiers.big.fallback"),
    ]
    assert str(problems[0]) == (
        f'{display_path(path)}:2: [tiers.quality] fallback: no such tier, got "clowd" (other '
        "tiers: fast, cloud, big); using the default"
    )
    assert "cannot fall back to itself" in problems[1].message
    assert settings.tiers["quality"].fallback == "cloud"
    assert settings.tiers["fast"].fallback is None
    assert settings.tiers["big"].fallback is None


def test_an_empty_string_clears_a_built_in_tier_setting() -> None:
    write_config(
        "[tiers.quality]\nfallback = ''\nkeep_alive = ''\n[tiers.fast]\ntemperature = ''\n"
    )
    settings, problems = load_settings(env={})
    assert problems == []
    assert settings.tiers["quality"].fallback is None
    assert settings.tiers["quality"].options() == ModelOptions()
    assert settings.tiers["fast"].options() == ModelOptions(keep_alive="30m")


def test_options_for_overlays_the_model_on_its_tier_field_by_field() -> None:
    write_config(
        '[tiers.fast]\nnum_ctx = 8192\n[models."qwen2.5-coder:7b"]\ntemperature = 0.1\n'
        "max_tokens = 512\n"
    )
    settings, _ = load_settings(env={})
    seven = ModelRef("ollama", "qwen2.5-coder:7b", "fast")
    assert settings.options_for(seven) == ModelOptions(0.1, 8192, 512, "30m")
    three = ModelRef("ollama", "qwen2.5-coder:3b", "fast")
    assert settings.options_for(three) == ModelOptions(0.3, 8192, None, "30m")
    # The label a pane gave a model picked from the installed list decides its tier ...
    picked = ModelRef("ollama", "llama3.2:3b", "quality")
    assert settings.options_for(picked) == ModelOptions(keep_alive="30m")
    # ... a listed model without one still gets its tier's; an unknown model only its own.
    assert settings.options_for(ModelRef("ollama", "qwen2.5-coder:7b", "")) == ModelOptions(
        0.1, 8192, 512, "30m"
    )
    assert settings.options_for(ModelRef("ollama", "llama3.2:3b", "")) == ModelOptions()
    assert settings.options_for(ModelRef("anthropic", "claude-sonnet-5-5", "cloud")) == (
        ModelOptions()
    )


def test_tier_for_prefers_the_ref_label_and_needs_the_same_provider() -> None:
    settings, _ = load_settings(env={})
    assert tier_for(settings, ModelRef("ollama", "anything", "fast")) == "fast"
    assert tier_for(settings, ModelRef("ollama", "qwen2.5-coder:14b", "")) == "quality"
    assert tier_for(settings, ModelRef("anthropic", "claude-haiku-5-5", "quality")) == "cloud"
    assert tier_for(settings, ModelRef("anthropic", "claude-x", "quality")) is None


def test_system_prompt_for_uses_the_tier_prompt_else_the_pane_prompt() -> None:
    write_config(
        "[prompts]\nexplore = 'Explore.'\nimplement = 'Implement.'\n"
        "[tiers.cloud]\nsystem_prompt = 'Claude, implement.'\n"
    )
    settings, problems = load_settings(env={})
    assert problems == []
    fast = ModelRef("ollama", "qwen2.5-coder:7b", "fast")
    quality = ModelRef("ollama", "qwen2.5-coder:14b", "quality")
    cloud = ModelRef("anthropic", "claude-sonnet-5-5", "cloud")
    assert settings.system_prompt_for(fast, "explore") == "Explore."
    assert settings.system_prompt_for(quality, "implement") == "Implement."
    assert settings.system_prompt_for(cloud, "implement") == "Claude, implement."
    assert settings.system_prompt_for(ModelRef("ollama", "other", ""), "explore") == "Explore."


def test_format_settings_shows_every_new_setting() -> None:
    write_config(
        "[ollama]\nwarm_up = false\npoll_interval_s = 2\n"
        "[anthropic]\nfallback_without_asking = true\n"
        "[tiers.cloud]\nsystem_prompt = 'Be exact.'\nmax_tokens = 16000\n"
        '[models."qwen2.5-coder:14b"]\nnum_ctx = 16384\nkeep_alive = "1h"\n'
        "[keys]\nsend = 'ctrl+enter'\n"
    )
    settings, problems = load_settings(env={})
    report = format_settings(settings, problems)
    assert "checked every 2 s; warm-up off" in report
    assert "local tiers fall back to Claude without asking" in report
    assert 'temperature 0.3, keep_alive "30m"; no fallback; the pane\'s system prompt' in report
    assert 'keep_alive "30m"; then tier cloud;' in report
    assert "max_tokens 16000; no fallback; own system prompt, 9 characters" in report
    assert 'qwen2.5-coder:14b  ? tokens; ? / ?; num_ctx 16384, keep_alive "1h"' in report
    assert "send  ctrl+enter" in report
    defaults, none = load_settings(path=Path("/nonexistent/config.toml"), env={})
    assert "Keys          app defaults" in format_settings(defaults, none)


def test_an_empty_api_key_in_the_file_means_not_set() -> None:
    write_config("[anthropic]\napi_key = '  '\n")
    settings, problems = load_settings(env={})
    assert problems == []
    assert (settings.anthropic.api_key, settings.anthropic.api_key_source) == (None, "default")


# --- The documented example: in config_file.py and in the README ------------------------------


def readme_config_example() -> str:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```toml\n(.*?)```", section, re.S)
    assert found, "the README's configuration section has no ```toml block"
    return found.group(1)


def documented_keys(text: str) -> set[tuple[str, str]]:
    """(table, key) pairs an example shows, commented out or not; [tiers.x] counts as tiers."""
    keys: set[tuple[str, str]] = set()
    table = ""
    for raw in text.splitlines():
        line = raw.removeprefix("# ")
        if header := re.match(r"\[([A-Za-z_]+)[].]", line):
            table = header.group(1)
            keys.add((table, ""))
        elif key := re.match(r"([A-Za-z_]+) = ", line):
            keys.add((table, key.group(1)))
    return keys


def every_setting() -> set[tuple[str, str]]:
    tables = {
        "": config_reader._TOP,
        "ollama": config_reader._OLLAMA,
        "anthropic": config_reader._ANTHROPIC,
        "prompts": config_reader._PROMPTS,
        "templates": config_reader._TEMPLATES,
        "tiers": config_reader._TIER,
        "models": config_reader._MODEL,
        "project": config_reader._PROJECT,
        "apply": config_reader._APPLY,
    }
    found = {(table, key) for table, schema in tables.items() for key in schema}
    assert set(tables) - {""} | {"keys"} == set(config_reader.SECTIONS)
    return found | {("keys", "")}


@pytest.mark.parametrize("source", ["EXAMPLE_CONFIG", "README"])
def test_the_examples_load_cleanly_with_default_values_and_show_every_setting(
    source: str,
) -> None:
    text = EXAMPLE_CONFIG if source == "EXAMPLE_CONFIG" else readme_config_example()
    write_config(text)
    settings, problems = load_settings(env={})
    assert problems == []
    defaults, _ = load_settings(path=Path("/nonexistent/config.toml"), env={})
    assert settings.tiers == defaults.tiers
    assert (settings.ollama, settings.anthropic) == (defaults.ollama, defaults.anthropic)
    assert (settings.models, settings.keys) == (defaults.models, defaults.keys)
    assert settings.project == defaults.project
    assert every_setting() - documented_keys(text) == set()


def test_start_up_does_not_import_tomlkit() -> None:
    # tomlkit costs tens of milliseconds to import: only remembering the theme needs it.
    code = "import sys, workbench.app; print('tomlkit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
