"""Typed settings read from `config.toml`, then overridden by the environment.

A bad file never stops the app: every problem is reported with the file, line and key, and the
affected setting keeps its default. Core module: never imports textual.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from workbench import paths

Provider = Literal["ollama", "anthropic"]
Source = Literal["default", "file", "env"]

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
OLLAMA_PORT = 11434

DEFAULT_EXPLORE_PROMPT = (
    "You help a developer explore a codebase before they write a task for a stronger model. "
    "Answer concisely and concretely: name the files, functions and signatures involved, and say "
    "when you are not sure instead of guessing. Use Markdown; put code in fenced code blocks with "
    "a language tag."
)
DEFAULT_IMPLEMENT_PROMPT = (
    "You implement a task spec written by a developer who has already explored the codebase. "
    "Implement the task exactly as specified: follow its constraints and the existing patterns, "
    "and add nothing it does not ask for. For every file you change or create, write its path on "
    "a line of its own, then the complete file in one fenced code block with a language tag; "
    'never elide parts with comments such as "rest unchanged". Finish with a short list of '
    "anything the developer must do by hand and any assumption you made."
)


@dataclass
class OllamaSettings:
    """How to reach the local Ollama server."""

    host: str = DEFAULT_OLLAMA_HOST
    """Server URL, normalized like the ollama client does ("localhost" -> http://localhost:11434)."""
    timeout_s: float = 300.0
    """Longest wait for the next piece of a reply (big models load slowly), in seconds."""
    connect_timeout_s: float = 5.0
    """Longest wait to connect, so a stopped server is reported quickly, in seconds."""
    host_source: Source = "default"
    """Where `host` came from: "default", "file" or "env" (`OLLAMA_HOST`)."""


@dataclass
class AnthropicSettings:
    """How to reach the Anthropic API (the cloud tier)."""

    api_key: str | None = field(default=None, repr=False)
    """API key; `ANTHROPIC_API_KEY` wins over the file. Never shown."""
    base_url: str | None = None
    """API endpoint for proxies and gateways; `ANTHROPIC_BASE_URL` wins over the file."""
    max_tokens: int = 8192
    """Longest reply, in tokens."""
    max_retries: int = 2
    """Automatic retries on rate limits, overload and dropped connections."""
    timeout_s: float = 600.0
    """Longest wait for a reply, in seconds."""
    api_key_source: Source = "default"
    """Where `api_key` came from: "default" (not set), "file" or "env"."""


@dataclass
class TierSettings:
    """A group of models of similar speed and quality, served by one provider."""

    provider: Provider
    """Which server runs these models: "ollama" or "anthropic"."""
    models: list[str]
    """Model names, preferred first."""


@dataclass
class ModelSettings:
    """What workbench knows about one model, for the review before a send (`[models."name"]`)."""

    context_window: int | None = None
    """Most tokens the model takes in at once (prompt and reply); None when unknown."""
    input_price_per_mtok: float | None = None
    """USD per million input tokens; None for free or unknown (local models)."""
    output_price_per_mtok: float | None = None
    """USD per million output tokens; None for free or unknown."""


def _default_models() -> dict[str, ModelSettings]:
    # Built-in defaults for the default cloud models: check them against current pricing.
    return {
        "claude-sonnet-5-5": ModelSettings(200_000, 3.0, 15.0),
        "claude-haiku-5-5": ModelSettings(200_000, 1.0, 5.0),
    }


def _default_tiers() -> dict[str, TierSettings]:
    return {
        "fast": TierSettings("ollama", ["qwen2.5-coder:7b", "qwen2.5-coder:3b"]),
        "quality": TierSettings("ollama", ["qwen2.5-coder:14b", "qwen2.5-coder:32b"]),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5", "claude-haiku-5-5"]),
    }


@dataclass
class Settings:
    """Everything configurable, with defaults that work with no config file at all."""

    theme: str = "workbench-dark"
    """Theme name; the theme picker saves the last choice here."""
    ollama: OllamaSettings = field(default_factory=OllamaSettings)
    """The local model server."""
    anthropic: AnthropicSettings = field(default_factory=AnthropicSettings)
    """The cloud API."""
    tiers: dict[str, TierSettings] = field(default_factory=_default_tiers)
    """Tier name -> models. "fast" feeds the explore pane; the others feed the implement pane."""
    autosave_delay_s: float = 0.5
    """The spec is saved this long after the last keystroke, in seconds."""
    checkpoint_interval_s: float = 0.5
    """A streaming reply is checkpointed to disk this often, in seconds."""
    explore_system_prompt: str = DEFAULT_EXPLORE_PROMPT
    """System prompt of the explore pane (`[prompts] explore`)."""
    implement_system_prompt: str = DEFAULT_IMPLEMENT_PROMPT
    """System prompt of the implement pane (`[prompts] implement`)."""
    default_template: str = "feature"
    """The spec template new sessions start from (`[templates] default`)."""
    models: dict[str, ModelSettings] = field(default_factory=_default_models)
    """Model name -> context window and prices (`[models."name"]`), over built-in defaults."""
    source: Path | None = None
    """The config file these settings were read from; None when there was none."""
    config_path: Path | None = None
    """The config file that was looked for, whether or not it exists."""

    def model_info(self, name: str) -> ModelSettings:
        """The context window and prices known for a model (all None when nothing is known)."""
        return self.models.get(name) or ModelSettings()


@dataclass(frozen=True)
class ModelRef:
    """One model a pane can use, and where it comes from."""

    provider: Provider
    name: str
    tier: str


def models_for_pane(settings: Settings, pane: str) -> list[ModelRef]:
    """The models offered in a pane, preferred first: explore gets "fast", implement the rest."""
    if pane == "explore":
        names = ["fast"]
    else:
        # Tiers the user adds beyond the three built-in ones belong to the implement pane too.
        names = ["quality", "cloud"] + [
            t for t in settings.tiers if t not in ("fast", "quality", "cloud")
        ]
    refs: list[ModelRef] = []
    for tier in names:
        if tier in settings.tiers:
            spec = settings.tiers[tier]
            refs += [ModelRef(spec.provider, m, tier) for m in spec.models]
    return refs


def tier_of(settings: Settings, provider: str, name: str) -> str | None:
    """The tier a model belongs to, or None if it is not in any tier."""
    for tier, spec in settings.tiers.items():
        if spec.provider == provider and name in spec.models:
            return tier
    return None


def normalize_ollama_host(value: str) -> str:
    """Expand "host", "host:port" or a URL like the ollama client does; ValueError if bad."""
    text = value.strip()
    if not text:
        return DEFAULT_OLLAMA_HOST
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "http", text
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme {scheme!r} (use http or https)")
    hostport, _, path = rest.partition("/")
    if hostport.startswith("["):  # IPv6 literal: the port follows the closing bracket
        end = hostport.find("]")
        host, port_text = hostport[: end + 1], hostport[end + 1 :]
        if end < 0 or (port_text and not port_text.startswith(":")):
            raise ValueError("malformed IPv6 address")
        port_text = port_text[1:]
    else:
        host, _, port_text = hostport.partition(":")
    # Like the ollama client: a bare host gets Ollama's port, an explicit scheme its usual one.
    default_port = OLLAMA_PORT if not sep else (443 if scheme == "https" else 80)
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise ValueError(f"bad port {port_text!r}")
    url = f"{scheme}://{host or '127.0.0.1'}:{int(port_text) if port_text else default_port}"
    path = path.strip("/")
    return f"{url}/{path}" if path else url


@dataclass
class ConfigProblem:
    """Something wrong in the config file (or an environment variable), to show to the user."""

    path: Path
    line: int | None
    """1-based line in the file, when known."""
    key: str | None
    """Dotted key such as "ollama.timeout_s", shown as "[ollama] timeout_s"."""
    message: str

    def __str__(self) -> str:
        where = display_path(self.path) + (f":{self.line}" if self.line else "")
        if self.key:
            # The last dotted part outside quotes is the key; `models."qwen2.5:7b"` is a table.
            found = re.match(r'(.*)\.([^."]*|"[^"]*")$', self.key)
            table, name = found.groups() if found else ("", self.key)
            where += f": [{table}] {name}" if table else f": {name}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The config file could not be updated."""


def display_path(path: Path) -> str:
    """A path with the home folder shown as ~."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except (ValueError, RuntimeError):
        return str(path)


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


def _number(minimum: float, *, strict: bool) -> Callable[[object], float]:
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"expected a number, got {_show(value)}")
        if value < minimum or (strict and value == minimum):
            above = "above" if strict else "at least"
            raise _Invalid(f"expected a number {above} {minimum:g}, got {_show(value)}")
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


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected a string, got {_show(value)}")
    return value


def _name(value: object) -> str:
    if not _string(value).strip():
        raise _Invalid("expected a non-empty string")
    return cast(str, value).strip()


def _host(value: object) -> str:
    try:
        return normalize_ollama_host(_string(value))
    except _Invalid:
        raise
    except ValueError as exc:
        raise _Invalid(f"not a valid host or URL ({exc}), got {_show(value)}") from None


def _url(value: object) -> str:
    if not re.match(r"https?://\S+$", _string(value).strip()):
        raise _Invalid(f"expected an http:// or https:// URL, got {_show(value)}")
    return cast(str, value).strip()


def _provider(value: object) -> Provider:
    if value not in ("ollama", "anthropic"):
        raise _Invalid(f'expected "ollama" or "anthropic", got {_show(value)}')
    return cast(Provider, value)


def _models(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid(f"expected an array of model names, got {_show(value)}")
    return [v.strip() for v in value]


# TOML key -> (attribute, check) for each table; the tiers table is handled separately.
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
}
_ANTHROPIC: _Schema = {
    "api_key": ("api_key", _string),
    "base_url": ("base_url", _url),
    "max_tokens": ("max_tokens", _integer(1)),
    "max_retries": ("max_retries", _integer(0)),
    "timeout_s": ("timeout_s", _number(0, strict=True)),
}
_PROMPTS: _Schema = {
    "explore": ("explore_system_prompt", _string),
    "implement": ("implement_system_prompt", _string),
}
_TIER: _Schema = {"provider": ("provider", _provider), "models": ("models", _models)}
_TEMPLATES: _Schema = {"default": ("default_template", _name)}
_MODEL: _Schema = {
    "context_window": ("context_window", _integer(1)),
    "input_price_per_mtok": ("input_price_per_mtok", _number(0, strict=False)),
    "output_price_per_mtok": ("output_price_per_mtok", _number(0, strict=False)),
}


class _Reader:
    """Applies a parsed TOML document to Settings, collecting a problem per bad key."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.problems: list[ConfigProblem] = []

    def problem(self, key: tuple[str, ...], message: str) -> None:
        # Parts that are not bare TOML keys are quoted: `models."qwen2.5-coder:14b"`.
        dotted = ".".join(p if re.fullmatch(r"[A-Za-z0-9_-]+", p) else json.dumps(p) for p in key)
        self.problems.append(ConfigProblem(self.path, _find_line(self.lines, key), dotted, message))

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
        value = data.get(key, {})
        if isinstance(value, dict):
            return value
        self.problem((key,), f"expected a table [{key}], got {_show(value)}")
        return {}

    def read(self, data: Mapping[str, object], settings: Settings) -> None:
        tables = ("ollama", "anthropic", "tiers", "prompts", "templates", "models")
        for key, value in data.items():
            if key not in tables and key not in _TOP and isinstance(value, dict):
                known = ", ".join(f"[{t}]" for t in tables)
                self.problem((key,), f"unknown section (known: {known})")
        top = {k: v for k, v in data.items() if k not in tables and not isinstance(v, dict)}
        self.apply(top, settings, _TOP)
        self.apply(self.table(data, "ollama"), settings.ollama, _OLLAMA, "ollama")
        if settings.ollama.host != DEFAULT_OLLAMA_HOST:
            settings.ollama.host_source = "file"
        self.apply(self.table(data, "anthropic"), settings.anthropic, _ANTHROPIC, "anthropic")
        if settings.anthropic.api_key is not None:
            # An empty key in the file means "not set", as it does in the environment.
            settings.anthropic.api_key = settings.anthropic.api_key.strip() or None
            settings.anthropic.api_key_source = "file" if settings.anthropic.api_key else "default"
        self.apply(self.table(data, "prompts"), settings, _PROMPTS, "prompts")
        self.apply(self.table(data, "templates"), settings, _TEMPLATES, "templates")
        for name, tier in self.table(data, "tiers").items():
            if not isinstance(tier, dict):
                self.problem(("tiers", name), f"expected a table [tiers.{name}], got {_show(tier)}")
                continue
            target = settings.tiers.get(name) or TierSettings("ollama", [])
            self.apply(tier, target, _TIER, "tiers", name)
            settings.tiers[name] = target
        for name, info in self.table(data, "models").items():
            if not isinstance(info, dict):
                table = f'[models."{name}"]'
                self.problem(("models", name), f"expected a table {table}, got {_show(info)}")
                continue
            # Keys left out keep the built-in value, so one price can be corrected on its own.
            model = settings.models.get(name) or ModelSettings()
            self.apply(info, model, _MODEL, "models", name)
            settings.models[name] = model


_HEADER = re.compile(r"\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(rf"{_KEY_PART}", text))


def _find_line(lines: list[str], key: tuple[str, ...]) -> int | None:
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
            problems.append(_syntax_problem(path, text, exc))
        else:
            reader = _Reader(path, text)
            reader.read(data, settings)
            problems += sorted(reader.problems, key=lambda p: p.line or 0)
    _apply_env(settings, env, problems)
    return settings, problems


def _syntax_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    message = str(exc.args[0] if exc.args else exc)
    line = getattr(exc, "lineno", None)
    if found := re.search(r"\s*\(at line (\d+), column (\d+)\)", message):
        line = line or int(found.group(1))
        message = message[: found.start()] + f" (column {found.group(2)})"
    elif found := re.search(r"\s*\(at end of document\)", message):
        line = line or len(text.splitlines()) or 1
        message = message[: found.start()] + " (at the end of the file)"
    return ConfigProblem(path, line, None, f"invalid TOML: {message}; using all defaults")


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
