"""The settings model: typed, documented dataclasses with defaults that work with no config file.

Reading `config.toml` into these lives in `config_reader`, writing it in `config_file`; callers
import all of it from `workbench.config`. Core module: never imports textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from workbench.providers.base import ModelOptions

Provider = Literal["ollama", "anthropic"]
Source = Literal["default", "file", "env"]
ChecksAfterApply = Literal["ask", "always", "never"]

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
    "and add nothing it does not ask for. Your edits are applied to the project after the "
    "developer reviews them, so write every change to an existing file as one or more "
    "SEARCH/REPLACE blocks: the file's path on a line of its own, then a fenced block holding\n"
    "<<<<<<< SEARCH\n(lines copied exactly from the file, enough to match one place)\n"
    "=======\n(the lines that replace them)\n>>>>>>> REPLACE\n"
    "Write a new file as its path on a line of its own, then the complete file in one fenced "
    'block; never elide parts with comments such as "rest unchanged". Delete a file with a '
    "line `DELETE path`. Where a literal edit is impractical (the same rename in many places), "
    "write `MODEL_EDIT path`, one line of plain instructions, then `END_MODEL_EDIT`. "
    "Finish with a short list of anything the developer must do by hand and any assumption you "
    "made."
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
    warm_up: bool = True
    """Load the Implement pane's local model while the spec is being edited."""
    poll_interval_s: float = 5.0
    """How often the status bar checks the server (and the loaded models), in seconds."""
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
    """Longest reply, in tokens, unless a tier or model sets its own `max_tokens`."""
    max_retries: int = 2
    """Automatic retries on rate limits, overload and dropped connections."""
    timeout_s: float = 600.0
    """Longest wait for a reply, in seconds."""
    fallback_without_asking: bool = False
    """Let a local tier fall back to Claude without the consent dialog (the spec leaves the box)."""
    api_key_source: Source = "default"
    """Where `api_key` came from: "default" (not set), "file" or "env"."""


@dataclass
class ProjectSettings:
    """How the Explore pane sees the project, and the checks run in it (`[project]`)."""

    summarize_over_kb: float = 50
    """Attached files larger than this (KB) are summarized by the fast model, not sent raw."""
    tools: bool = True
    """Let the fast model read the project through read-only tools (switchable per session)."""
    git_log_commits: int = 20
    """Commits the git-history summary covers."""
    compress_at: float = 0.75
    """Summarize older Explore turns when the conversation fills this share of the window."""
    checks: list[str] = field(default_factory=list)
    """Commands that check a project (`pytest -q`, `ruff check .`), run in its root; the default
    for every project (a project's `.workbench.toml` or an answer saved for it wins)."""
    checks_after_apply: ChecksAfterApply = "ask"
    """Run the checks after an apply: "ask" (offer it), "always" or "never" (only on the key)."""
    checks_timeout_s: float = 600.0
    """A check still running after this many seconds is killed (with every process it started)."""


@dataclass
class ApplySettings:
    """How the Implement reply's accepted changes are written (`[apply]`)."""

    commit: bool = False
    """In a git repository, commit each apply (only the applied paths; a message the fast model
    writes); undo then commits the revert."""


@dataclass(kw_only=True)
class GenerationSettings:
    """Generation options of a tier, or of one model (whose own values win over its tier's)."""

    temperature: float | None = None
    """Sampling temperature (0..2); None: the tier's, then the server's default."""
    num_ctx: int | None = None
    """Context window Ollama loads the model with, in tokens; None: the tier's, then Ollama's."""
    max_tokens: int | None = None
    """Longest reply, in tokens; None: the tier's, then the server's (for Claude,
    `[anthropic] max_tokens`)."""
    keep_alive: str | int | None = None
    """How long Ollama keeps a model loaded after a reply ("30m", "-1" forever); None: the
    tier's, then Ollama's."""

    def options(self) -> ModelOptions:
        """These options as sent with a request (None where another level applies)."""
        return ModelOptions(self.temperature, self.num_ctx, self.max_tokens, self.keep_alive)


@dataclass
class TierSettings(GenerationSettings):
    """A group of models of similar speed and quality, served by one provider."""

    provider: Provider
    """Which server runs these models: "ollama" or "anthropic"."""
    models: list[str]
    """Model names, preferred first."""
    fallback: str | None = None
    """Tier to try after every model of this one failed; None to stop here."""
    system_prompt: str | None = None
    """System prompt for this tier's models, instead of the pane's `[prompts]` one; None: pane's."""


@dataclass
class ModelSettings(GenerationSettings):
    """What workbench knows about one model (`[models."name"]`): window, prices, options."""

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
        "fast": TierSettings(
            "ollama",
            ["qwen2.5-coder:7b", "qwen2.5-coder:3b", "deepseek-coder:6.7b"],
            temperature=0.3,
            keep_alive="30m",
        ),
        "quality": TierSettings(
            "ollama",
            ["qwen2.5-coder:14b", "qwen2.5-coder:32b", "deepseek-coder:33b"],
            fallback="cloud",
            keep_alive="30m",
        ),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5", "claude-haiku-5-5"]),
    }


@dataclass(frozen=True)
class ModelRef:
    """One model a pane can use, and where it comes from."""

    provider: Provider
    name: str
    tier: str


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
    """Model name -> context window, prices and options (`[models."name"]`), over built-ins."""
    project: ProjectSettings = field(default_factory=ProjectSettings)
    """Attachments, tools and the small-model chores of the Explore pane; the checks."""
    apply: ApplySettings = field(default_factory=ApplySettings)
    """Writing accepted changes into the project."""
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys (`[keys]`, e.g. "spec.send" -> "f12"); the UI checks the ids."""
    source: Path | None = None
    """The config file these settings were read from; None when there was none."""
    config_path: Path | None = None
    """The config file that was looked for, whether or not it exists."""

    def model_info(self, name: str) -> ModelSettings:
        """The context window and prices known for a model (all None when nothing is known)."""
        return self.models.get(name) or ModelSettings()

    def options_for(self, ref: ModelRef) -> ModelOptions:
        """Generation options for a model: its tier's, overridden field by field by its own."""
        tier = tier_for(self, ref)
        base = self.tiers[tier].options() if tier else ModelOptions()
        own = self.model_info(ref.name).options()
        return replace(
            base, **{f.name: v for f in fields(own) if (v := getattr(own, f.name)) is not None}
        )

    def system_prompt_for(self, ref: ModelRef, pane: str) -> str:
        """The system prompt for a model in a pane: its tier's if set, else the pane's."""
        tier = tier_for(self, ref)
        prompt = self.tiers[tier].system_prompt if tier else None
        if prompt is not None:
            return prompt
        return self.explore_system_prompt if pane == "explore" else self.implement_system_prompt


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


def tier_for(settings: Settings, ref: ModelRef) -> str | None:
    """The tier whose options, prompt and fallback apply to `ref`, or None.

    That is `ref.tier` when such a tier exists with the same provider (a model picked for a pane
    joins the pane's tier even if the tier does not list it), else the first tier listing it.
    """
    spec = settings.tiers.get(ref.tier)
    if spec is not None and spec.provider == ref.provider:
        return ref.tier
    return tier_of(settings, ref.provider, ref.name)


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
