"""The config file as a user sees it: the `workbench config` report, the documented example,
and remembering the theme in the file without disturbing the rest. Never imports textual."""

from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from pathlib import Path

from workbench import paths
from workbench.config import (
    DEFAULT_EXPLORE_PROMPT,
    DEFAULT_IMPLEMENT_PROMPT,
    ConfigError,
    ConfigProblem,
    ModelSettings,
    Settings,
    TierSettings,
    display_path,
)
from workbench.providers.base import ModelOptions


def format_settings(settings: Settings, problems: list[ConfigProblem]) -> str:
    """A plain-text report of the effective settings, for `workbench config`."""
    path = settings.config_path or settings.source or paths.config_file()
    state = "found" if settings.source else "not found, using defaults"
    ollama, anthropic = settings.ollama, settings.anthropic
    key = f"set (from {anthropic.api_key_source})" if anthropic.api_key else "not set"
    consent = "without asking" if anthropic.fallback_without_asking else "after asking"
    lines = [
        f"Config file   {display_path(path)} ({state})",
        f"Theme         {settings.theme}",
        f"Ollama        {ollama.host} ({ollama.host_source}); timeout {ollama.timeout_s:g} s, "
        f"connect timeout {ollama.connect_timeout_s:g} s; checked every "
        f"{ollama.poll_interval_s:g} s; warm-up {'on' if ollama.warm_up else 'off'}",
        f"Anthropic     API key {key}; base URL {anthropic.base_url or 'default'}; "
        f"max_tokens {anthropic.max_tokens}; max_retries {anthropic.max_retries}; "
        f"timeout {anthropic.timeout_s:g} s; local tiers fall back to Claude {consent}",
        f"Autosave      {settings.autosave_delay_s:g} s after the last edit; streaming replies "
        f"checkpointed every {settings.checkpoint_interval_s:g} s",
        f"Templates     new sessions start from {json.dumps(settings.default_template)}; "
        f"your own in {display_path(paths.config_dir() / 'templates')}",
        f"Project       attachments over {settings.project.summarize_over_kb:g} KB summarized; "
        f"tools {'on' if settings.project.tools else 'off'}; git summary of "
        f"{settings.project.git_log_commits} commits; compress at "
        f"{settings.project.compress_at:.0%} of the window",
        f"Checks        {_checks_line(settings)}",
        f"Apply         {'one git commit per apply' if settings.apply.commit else 'no commits'}",
        "",
        "Tiers",
    ]
    width = max((len(t) for t in settings.tiers), default=0)
    for name, tier in settings.tiers.items():
        pane = "explore" if name == "fast" else "implement"
        models = ", ".join(tier.models) or "(none)"
        lines.append(f"  {name:<{width}}  {tier.provider:<9}  {models}  ({pane} pane)")
        lines.append(f"  {'':<{width}}  {_tier_line(tier)}")
    lines += ["", "Prompts"]
    for pane, text, default in (
        ("explore", settings.explore_system_prompt, DEFAULT_EXPLORE_PROMPT),
        ("implement", settings.implement_system_prompt, DEFAULT_IMPLEMENT_PROMPT),
    ):
        origin = "default" if text == default else "custom"
        lines.append(f"  {pane:<9}  {origin}, {len(text)} characters")
    lines += ["", "Models (context window; USD per million tokens in / out; own options)"]
    width = max((len(m) for m in settings.models), default=0)
    for name, info in settings.models.items():
        lines.append(f"  {name:<{width}}  {_model_line(info)}")
    lines += ["", "Keys (binding id: keys)" if settings.keys else "Keys          app defaults"]
    width = max((len(k) for k in settings.keys), default=0)
    lines += [f"  {binding:<{width}}  {keys}" for binding, keys in settings.keys.items()]
    lines += ["", f"Problems ({len(problems)})" if problems else "No problems."]
    lines += [f"  {problem}" for problem in problems]
    return "\n".join(lines) + "\n"


def _checks_line(settings: Settings) -> str:
    """The user config's checks, when they run, and their timeout."""
    project = settings.project
    commands = ", ".join(json.dumps(c) for c in project.checks) or "none"
    after = {"ask": "offered", "always": "run", "never": "not run"}[project.checks_after_apply]
    return (
        f"{commands} by default (a project's .workbench.toml or saved answer wins); {after} "
        f"after an apply; killed after {project.checks_timeout_s:g} s"
    )


def _options_text(options: ModelOptions) -> str:
    """`temperature 0.3, keep_alive "30m"`: the options that are set, as TOML would write them."""
    values = {field.name: getattr(options, field.name) for field in fields(options)}
    return ", ".join(
        f"{name} {json.dumps(value) if isinstance(value, str) else value}"
        for name, value in values.items()
        if value is not None
    )


def _tier_line(tier: TierSettings) -> str:
    """A tier's options, fallback and system prompt, in one line under its models."""
    options = _options_text(tier.options()) or "server defaults"
    then = f"then tier {tier.fallback}" if tier.fallback else "no fallback"
    prompt = (
        "the pane's system prompt"
        if tier.system_prompt is None
        else f"own system prompt, {len(tier.system_prompt)} characters"
    )
    return f"{options}; {then}; {prompt}"


def _model_line(info: ModelSettings) -> str:
    """`200,000 tokens; $3 / $15`, with "?" for what is not known, then any options of its own."""
    window = f"{info.context_window:,} tokens" if info.context_window else "? tokens"
    prices = [
        f"${price:g}" if price is not None else "?"
        for price in (info.input_price_per_mtok, info.output_price_per_mtok)
    ]
    options = _options_text(info.options())
    return f"{window}; {prices[0]} / {prices[1]}" + (f"; {options}" if options else "")


def remember_theme(name: str, path: Path | None = None) -> None:
    """Set the top-level `theme` in the config file, keeping the rest of it and its comments."""
    # Imported here, not at the top: tomlkit takes about 40 ms to import and only writes need it.
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from workbench.fileio import atomic_write

    path = path if path is not None else paths.config_file()
    try:
        raw = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raw = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read {display_path(path)}: {exc}") from exc
    try:
        document = tomlkit.parse(raw)
        document["theme"] = name
        text = tomlkit.dumps(document)
    except TOMLKitError as exc:
        raise ConfigError(
            f"Not saving the theme: {display_path(path)} is not valid TOML ({exc})"
        ) from exc
    if "\r\n" in raw:  # tomlkit writes the lines it adds with "\n": keep the file's own endings
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    try:
        written = tomllib.loads(text).get("theme")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"Not saving the theme: {display_path(path)} would not be valid TOML ({exc})"
        ) from exc
    if written != name:
        raise ConfigError(f"Not saving the theme: could not set it in {display_path(path)}")
    atomic_write(path, text.encode("utf-8"))


EXAMPLE_CONFIG = '''\
# workbench configuration: ~/.config/workbench/config.toml on Linux (`workbench config` shows
# where it is looked for, the effective settings and any problem in this file).
# Every setting is optional and shown here with its default; delete what you do not change.
# A bad value is reported with its line and key, and that setting keeps its default.

# Theme name. Picking a theme in the app saves it here.
theme = "workbench-dark"

# Seconds after the last keystroke before the task spec is saved.
autosave_delay_s = 0.5
# A reply that is still streaming is saved to disk this often (seconds), so a crash loses little.
checkpoint_interval_s = 0.5

[ollama]
# The local model server. The OLLAMA_HOST environment variable wins over this.
# "localhost", "host:port" and full URLs all work.
host = "http://127.0.0.1:11434"
# Seconds to wait for the next piece of a reply (a big model can take a while to load).
timeout_s = 300.0
# Seconds to wait for a connection, so a stopped server is reported quickly.
connect_timeout_s = 5.0
# Load the Implement pane's local model while you edit the spec, so the send starts at once.
warm_up = true
# Seconds between the status bar's checks of the server and of the models it has loaded.
poll_interval_s = 5.0

[anthropic]
# Prefer the ANTHROPIC_API_KEY environment variable; it wins over this.
# api_key = "sk-ant-..."
# An API gateway or proxy; ANTHROPIC_BASE_URL wins over this.
# base_url = "https://api.anthropic.com"
# Longest reply, in tokens (a tier or model can set its own max_tokens).
max_tokens = 8192
# Automatic retries on rate limits, overload and dropped connections.
max_retries = 2
# Seconds to wait for a reply.
timeout_s = 600.0
# When every local model of a tier failed and its fallback is Claude, go ahead without asking.
# With false, a dialog asks first: the spec would leave this machine.
fallback_without_asking = false

# Tiers group models of similar speed. The explore pane offers the "fast" tier; the implement
# pane offers "quality", then "cloud", then any tier you add. Models are listed preferred first.
# When a model is unreachable, missing, overloaded or rate limited, the next one of its tier is
# tried, then the models of the tier named by `fallback` ("" for none).
# `system_prompt` replaces the pane's prompt (see [prompts]) for this tier's models.
# Generation options for the tier's models (a [models."name"] table can override each one):
#   temperature  0 to 2; lower is more deterministic
#   num_ctx      context window Ollama loads the model with, in tokens
#   max_tokens   longest reply, in tokens
#   keep_alive   how long Ollama keeps the model loaded after a reply: "30m", "1h", "90s",
#                "-1" (forever), "0" (unload at once), or a whole number of seconds
# Options left out use the server's defaults; "" clears one set here by default.
[tiers.fast]
provider = "ollama"
models = ["qwen2.5-coder:7b", "qwen2.5-coder:3b", "deepseek-coder:6.7b"]
temperature = 0.3
keep_alive = "30m"
# num_ctx = 8192
# max_tokens = 2048
# fallback = "quality"
# system_prompt = "Answer briefly."

[tiers.quality]
provider = "ollama"
models = ["qwen2.5-coder:14b", "qwen2.5-coder:32b", "deepseek-coder:33b"]
fallback = "cloud"
keep_alive = "30m"
# temperature = 0.2
# num_ctx = 16384

[tiers.cloud]
provider = "anthropic"
models = ["claude-sonnet-5-5", "claude-haiku-5-5"]
# max_tokens = 16000

[templates]
# The spec template new sessions start from: "feature", "bugfix", "refactor", or the name of
# a markdown file of your own in the templates/ folder next to this file (templates/NAME.md).
default = "feature"

# What workbench knows about a model, shown when you review a send: its context window (in
# tokens) and its price in USD per million input / output tokens (for a cost estimate).
# These two tables are built-in defaults: check them against current pricing.
[models."claude-sonnet-5-5"]
context_window = 200000
input_price_per_mtok = 3.0
output_price_per_mtok = 15.0

[models."claude-haiku-5-5"]
context_window = 200000
input_price_per_mtok = 1.0
output_price_per_mtok = 5.0

# Add a table for any other model. It can also set the generation options of its tier, and
# its own values win over the tier's, one by one:
# [models."qwen2.5-coder:14b"]
# context_window = 32768
# temperature = 0.2
# num_ctx = 16384
# max_tokens = 4096
# keep_alive = "1h"

[prompts]
# System prompts of the two panes. Leave them out to use the built-in ones.
# explore = """
# Answer briefly and concretely about this codebase. Use Markdown and fenced code blocks.
# """
# implement = """
# Implement the task spec exactly. Write edits as SEARCH/REPLACE blocks after each file's path.
# """

[project]
# What the Explore pane sees of the project (the folder workbench started in, or --project).
# Files attached with @path that are larger than this (KB) are summarized by the fast model
# first, and the summary is what is sent (marked as a summary).
summarize_over_kb = 50
# Let the fast model read the project through read-only tools (list, read, search, git log);
# F8 switches them per session. Models without tool support get attachments only.
tools = true
# Commits the git-history summary covers (palette: "Summarize git history").
git_log_commits = 20
# When the Explore conversation fills this share of the fast model's context window, older
# turns are summarized into one message that replaces them in what is sent.
compress_at = 0.75
# Checks: commands run in the project's root after an apply or on a key, such as
# ["pytest -q", "ruff check ."]. This is the default for every project; a `.workbench.toml` at
# a project's root ([checks] commands = [...], can be committed) wins, then an answer saved for
# that project when the app proposed checks. `workbench check` runs them from the shell.
checks = []
# Run the checks after an apply: "ask" (offer to), "always", or "never" (only on the key).
checks_after_apply = "ask"
# A check still running after this many seconds is killed, with every process it started.
checks_timeout_s = 600.0

[apply]
# In a git repository, make one commit per apply holding only the applied files (never your
# other staged changes), with a message the fast model writes; undo then commits the revert.
commit = false

[keys]
# Remap a key binding: its id = the keys, comma-separated for more than one ("f10,f11").
# `workbench keys` lists every id with its default key; an unknown id is reported at start.
# "spec.send" = "f12"
# "pane.explore" = "f10,f11"
'''
"""The documented example config file: every setting at its default (README shows it too)."""
