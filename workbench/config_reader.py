"""Reading `config.toml` into `Settings`: type and range checks, and a located problem per bad key.

`workbench.config` re-exports `load_settings`; this module imports the dataclasses from `settings`,
not from `config`, so the two do not import each other. Core module: never imports textual.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from workbench import paths
from workbench.settings import (
    DEFAULT_OLLAMA_HOST,
    ChecksAfterApply,
    ConfigProblem,
    ModelSettings,
    Provider,
    Settings,
    TierSettings,
    normalize_ollama_host,
)


class _Invalid(ValueError):
    """A value of the wrong type or out of range; the message says what was expected."""


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 40 else value[:37] + "...", ensure_ascii=False)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return str(value)


def _number(low: float, *, strict: bool, high: float | None = None) -> Callable[[object], float]:
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"expected a number, got {_show(value)}")
        if high is not None and not low <= value <= high:
            raise _Invalid(f"expected a number from {low:g} to {high:g}, got {value:g}")
        if value < low or (strict and value == low):
            above = "above" if strict else "at least"
            raise _Invalid(f"expected a number {above} {low:g}, got {_show(value)}")
        return float(value)

    return check


def _integer(minimum: int) -> Callable[[object], int]:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"expected a whole number, got {_show(value)}")
        if value < minimum:
            raise _Invalid(f"expected a whole number of at least {minimum}, got {value}")
        return value

    return check


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(f"expected true or false, got {_show(value)}")
    return value


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a string, got {_show(value)}")
    return value


def _name(value: object) -> str:
    if not _string(value).strip():
        raise _Invalid("expected a non-empty string")
    return cast(str, value).strip()


def _host(value: object) -> str:
    text = _string(value)
    try:
        return normalize_ollama_host(text)
    except ValueError as exc:
        raise _Invalid(f"not a valid host or URL ({exc}), got {_show(value)}") from None


def _url(value: object) -> str:
    if not re.match(r"https?://\S+$", _string(value).strip()):
        raise _Invalid(f"expected an http:// or https:// URL, got {_show(value)}")
    return cast(str, value).strip()


def _provider(value: object) -> Provider:
    if value not in ("ollama", "anthropic"):
        raise _Invalid(f'expected "ollama" or "anthropic", got {_show(value)}')
    return value  # narrowed to the two names by the test above


def _after_apply(value: object) -> ChecksAfterApply:
    if value not in ("ask", "always", "never"):
        raise _Invalid(f'expected "ask", "always" or "never", got {_show(value)}')
    return value  # narrowed to the three answers by the test above


def _commands(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid(f'expected an array of commands such as ["pytest -q"], got {_show(value)}')
    return [v.strip() for v in value]


def _models(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid(f"expected an array of model names, got {_show(value)}")
    return [v.strip() for v in value]


# A Go duration as Ollama parses it ("30m", "1h30m", "90s", "-1m", "1.5h"), or a bare number.
_DURATION = re.compile(r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|ms|s|m|h))+")


def _keep_alive(value: object) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[-+]?\d+", text):
            # Ollama takes a number as seconds but a string only with a unit: send "-1" as -1.
            return int(text)
        if _DURATION.fullmatch(text):
            return text
    raise _Invalid(
        'expected a duration such as "30m", "1h" or "90s", "-1" (forever), "0" (unload at once) '
        f"or whole seconds, got {_show(value)}"
    )


def _keys(value: object) -> str:
    parts = [part.strip() for part in _string(value).split(",")]
    if not all(parts) or any(re.search(r"\s", part) for part in parts):
        raise _Invalid(f'expected keys such as "ctrl+enter" or "f6,ctrl+e", got {_show(value)}')
    return ",".join(parts)


def _unset_by_empty(check: Callable[[object], Any]) -> Callable[[object], Any]:
    """`check`, except that "" means "not set" (TOML has no null to clear a default with)."""

    def unset_or_check(value: object) -> Any:
        return None if isinstance(value, str) and not value.strip() else check(value)

    return unset_or_check


# TOML key -> (attribute, check) for each table; tiers, models and keys are tables of tables.
_Schema = dict[str, tuple[str, Callable[[object], Any]]]
_TOP: _Schema = {
    "theme": ("theme", _name),
    "autosave_delay_s": ("autosave_delay_s", _number(0, strict=False)),
    "checkpoint_interval_s": ("checkpoint_interval_s", _number(0, strict=True)),
}
_OLLAMA: _Schema = {
    "host": ("host", _host),
    "timeout_s": ("timeout_s", _number(0, strict=True)),
    "connect_timeout_s": ("connect_timeout_s", _number(0, strict=True)),
    "warm_up": ("warm_up", _boolean),
    "poll_interval_s": ("poll_interval_s", _number(0, strict=True)),
}
_ANTHROPIC: _Schema = {
    "api_key": ("api_key", _unset_by_empty(_name)),  # "" means not set, as in the environment
    "base_url": ("base_url", _url),
    "max_tokens": ("max_tokens", _integer(1)),
    "max_retries": ("max_retries", _integer(0)),
    "timeout_s": ("timeout_s", _number(0, strict=True)),
    "fallback_without_asking": ("fallback_without_asking", _boolean),
}
_PROMPTS: _Schema = {
    "explore": ("explore_system_prompt", _string),
    "implement": ("implement_system_prompt", _string),
}
_TEMPLATES: _Schema = {"default": ("default_template", _name)}
_PROJECT: _Schema = {
    "summarize_over_kb": ("summarize_over_kb", _number(0, strict=True)),
    "tools": ("tools", _boolean),
    "git_log_commits": ("git_log_commits", _integer(1)),
    "compress_at": ("compress_at", _number(0, strict=True, high=1)),
    "checks": ("checks", _commands),
    "checks_after_apply": ("checks_after_apply", _after_apply),
    "checks_timeout_s": ("checks_timeout_s", _number(0, strict=True)),
}
_APPLY: _Schema = {"commit": ("commit", _boolean)}
# Generation options, in a tier and in a model's table; "" clears a built-in default.
_OPTIONS: _Schema = {
    "temperature": ("temperature", _unset_by_empty(_number(0, strict=False, high=2))),
    "num_ctx": ("num_ctx", _unset_by_empty(_integer(1))),
    "max_tokens": ("max_tokens", _unset_by_empty(_integer(1))),
    "keep_alive": ("keep_alive", _unset_by_empty(_keep_alive)),
}
_TIER: _Schema = {
    "provider": ("provider", _provider),
    "models": ("models", _models),
    "fallback": ("fallback", _unset_by_empty(_name)),  # checked once every tier is read
    "system_prompt": ("system_prompt", _unset_by_empty(_string)),
    **_OPTIONS,
}
_MODEL: _Schema = {
    "context_window": ("context_window", _integer(1)),
    "input_price_per_mtok": ("input_price_per_mtok", _number(0, strict=False)),
    "output_price_per_mtok": ("output_price_per_mtok", _number(0, strict=False)),
    **_OPTIONS,
}
SECTIONS = tuple(
    ["ollama", "anthropic", "tiers", "prompts", "templates", "models", "keys", "project", "apply"]
)
"""The tables a config file may have; every other top-level key is a plain setting."""


class _Reader:
    """Applies a parsed TOML document to Settings, collecting a problem per bad key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.problems: list[ConfigProblem] = []

    def problem(self, key: tuple[str, ...], message: str) -> None:
        line = find_line(self.lines, key)
        self.problems.append(ConfigProblem(self.path, line, _dotted(key), message))

    def apply(
        self, data: Mapping[str, object], target: object, schema: _Schema, *prefix: str
    ) -> None:
        for key, value in data.items():
            if key not in schema:
                known = ", ".join(schema)
                self.problem((*prefix, key), f"unknown setting (known: {known})")
                continue
            attr, check = schema[key]
            try:
                setattr(target, attr, check(value))
            except _Invalid as exc:
                self.problem((*prefix, key), f"{exc}; using the default")

    def table(self, data: Mapping[str, object], key: str) -> Mapping[str, object]:
        """The table `[key]` of `data` ({} when absent; reported when it is not a table)."""
        value = data.get(key, {})
        if isinstance(value, dict):
            return value
        self.not_a_table((key,), value)
        return {}

    def subtables(self, data: Mapping[str, object], key: str) -> dict[str, Mapping[str, object]]:
        """The tables inside `[key]`, such as each `[tiers.NAME]`; other values are reported."""
        found: dict[str, Mapping[str, object]] = {}
        for name, value in self.table(data, key).items():
            if isinstance(value, dict):
                found[name] = value
            else:
                self.not_a_table((key, name), value)
        return found

    def not_a_table(self, key: tuple[str, ...], value: object) -> None:
        self.problem(key, f"expected a table [{_dotted(key)}], got {_show(value)}")

    def read(self, data: Mapping[str, object], settings: Settings) -> None:
        for key, value in data.items():
            if key not in SECTIONS and key not in _TOP and isinstance(value, dict):
                known = ", ".join(f"[{t}]" for t in SECTIONS)
                self.problem((key,), f"unknown section (known: {known})")
        top = {k: v for k, v in data.items() if k not in SECTIONS and not isinstance(v, dict)}
        self.apply(top, settings, _TOP)
        self.apply(self.table(data, "ollama"), settings.ollama, _OLLAMA, "ollama")
        if settings.ollama.host != DEFAULT_OLLAMA_HOST:
            settings.ollama.host_source = "file"
        self.apply(self.table(data, "anthropic"), settings.anthropic, _ANTHROPIC, "anthropic")
        if settings.anthropic.api_key is not None:
            settings.anthropic.api_key_source = "file"
        self.apply(self.table(data, "prompts"), settings, _PROMPTS, "prompts")
        self.apply(self.table(data, "templates"), settings, _TEMPLATES, "templates")
        self.apply(self.table(data, "project"), settings.project, _PROJECT, "project")
        self.apply(self.table(data, "apply"), settings.apply, _APPLY, "apply")
        self.read_tiers(self.subtables(data, "tiers"), settings)
        for name, info in self.subtables(data, "models").items():
            # Keys left out keep the built-in value, so one price can be corrected on its own.
            model = settings.models.get(name) or ModelSettings()
            self.apply(info, model, _MODEL, "models", name)
            settings.models[name] = model
        for binding, keys in self.table(data, "keys").items():
            try:
                if not binding.strip():
                    raise _Invalid("expected a binding id before the =, such as send")
                settings.keys[binding] = _keys(keys)
            except _Invalid as exc:
                self.problem(("keys", binding), f"{exc}; ignored")

    def read_tiers(self, tiers: Mapping[str, Mapping[str, object]], settings: Settings) -> None:
        fallbacks: dict[str, str | None] = {}  # tier -> its fallback before the file set it
        for name, tier in tiers.items():
            target = settings.tiers.get(name) or TierSettings("ollama", [])
            fallbacks[name] = target.fallback
            self.apply(tier, target, _TIER, "tiers", name)
            settings.tiers[name] = target
        # A fallback may name a tier defined further down, so they are checked at the end.
        for name, default in fallbacks.items():
            fallback = settings.tiers[name].fallback
            if fallback is None or (fallback in settings.tiers and fallback != name):
                continue
            why = "a tier cannot fall back to itself" if fallback == name else "no such tier"
            known = ", ".join(t for t in settings.tiers if t != name)
            message = f"{why}, got {_show(fallback)} (other tiers: {known}); using the default"
            self.problem(("tiers", name, "fallback"), message)
            settings.tiers[name].fallback = default


_HEADER = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def _dotted(key: tuple[str, ...]) -> str:
    """A key path as TOML writes it, quoting parts that are not bare: `models."qwen2.5:7b"`."""
    return ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p) for p in key)


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(rf"{_KEY_PART}", text))


def find_line(lines: list[str], key: tuple[str, ...]) -> int | None:
    """The 1-based line defining `key` (or its nearest parent), found in the raw text."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_string: str | None = None  # inside a multi-line string, lines are not keys or headers
    for number, line in enumerate(lines, 1):
        if in_string:
            if in_string in line:
                in_string = None
            continue
        if header := _HEADER.match(line):
            table = _split_key(header.group(1))
            found.setdefault(table, number)
        elif match := _KEY.match(line):
            found.setdefault(table + _split_key(match.group(1)), number)
        for quotes in ('"""', "'''"):
            if line.count(quotes) % 2:
                in_string = quotes
    for end in range(len(key), 0, -1):
        if key[:end] in found:
            return found[key[:end]]
    return None


def load_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[Settings, list[ConfigProblem]]:
    """Read the config file and the environment; never raises for a bad or missing file."""
    path = path if path is not None else paths.config_file()
    env = env if env is not None else os.environ
    settings = Settings(config_path=path)
    problems: list[ConfigProblem] = []
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError) as exc:
        text = None
        problems.append(ConfigProblem(path, None, None, f"cannot read it ({exc}); using defaults"))
    if text is not None:
        settings.source = path
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problems.append(syntax_problem(path, text, exc))
        else:
            reader = _Reader(path, text)
            reader.read(data, settings)
            problems += sorted(reader.problems, key=lambda p: p.line or 0)
    _apply_env(settings, env, problems)
    return settings, problems


def syntax_problem(
    path: Path, text: str, exc: tomllib.TOMLDecodeError, then: str = "using all defaults"
) -> ConfigProblem:
    """A TOML syntax error of `path` as a problem with its line; `then` says what happens."""
    message = str(exc.args[0] if exc.args else exc)
    line = getattr(exc, "lineno", None)
    if found := re.search(r"\s*\(at line (\d+), column (\d+)\)", message):
        line = line or int(found.group(1))
        message = message[: found.start()] + f" (column {found.group(2)})"
    elif found := re.search(r"\s*\(at end of document\)", message):
        line = line or len(text.splitlines()) or 1
        message = message[: found.start()] + " (at the end of the file)"
    return ConfigProblem(path, line, None, f"invalid TOML: {message}; {then}")


def _apply_env(settings: Settings, env: Mapping[str, str], problems: list[ConfigProblem]) -> None:
    if host := env.get("OLLAMA_HOST", "").strip():
        try:
            settings.ollama.host = normalize_ollama_host(host)
            settings.ollama.host_source = "env"
        except ValueError as exc:
            message = f"not a valid host or URL ({exc}), got {_show(host)}; ignored"
            problems.append(ConfigProblem(Path("$OLLAMA_HOST"), None, None, message))
    if key := env.get("ANTHROPIC_API_KEY", "").strip():
        settings.anthropic.api_key, settings.anthropic.api_key_source = key, "env"
    if url := env.get("ANTHROPIC_BASE_URL", "").strip():
        settings.anthropic.base_url = url
