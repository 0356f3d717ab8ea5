"""`workbench doctor`: check the config, the servers, the models and the data folder.

Every check says what it found and, when something is wrong, the command or setting that fixes
it. Core module: never imports textual.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from workbench import paths
from workbench.config import ConfigProblem, Settings, TierSettings, display_path
from workbench.providers.base import ErrorKind, ModelInfo, ProviderError
from workbench.providers.ollama import OllamaProvider, canonical_name

Level = Literal["ok", "warn", "fail"]

MARKS: dict[Level, str] = {"ok": "✓", "warn": "!", "fail": "✗"}
ASCII_MARKS: dict[Level, str] = {"ok": "ok", "warn": "!!", "fail": "XX"}
"""For a terminal or pipe that cannot encode the check marks."""

PROBE_TIMEOUT_S = 15.0
"""Longest wait for the Ollama server to answer a probe: doctor must not hang."""


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    """What was checked ("config", "ollama", "tier fast", ...)."""
    level: Level
    """"ok", "warn" (works, but something is missing) or "fail" (this part cannot work)."""
    detail: str
    """What was found; may span lines."""
    fix: str | None = None
    """The command or setting that fixes it, when it is not ok."""


async def run_checks(
    settings: Settings,
    problems: Sequence[ConfigProblem | str],
    *,
    ollama: OllamaProvider | None = None,
) -> list[Check]:
    """Run every check; never raises for a failing server or folder."""
    checks = [config_check(settings, problems), data_dir_check()]
    ollama_tiers = {n: t for n, t in settings.tiers.items() if t.provider == "ollama"}
    if ollama_tiers:
        own = ollama is None
        provider = ollama or OllamaProvider(
            settings.ollama.host,
            timeout_s=min(settings.ollama.timeout_s, PROBE_TIMEOUT_S),
            connect_timeout_s=settings.ollama.connect_timeout_s,
        )
        try:
            checks += await ollama_checks(provider, settings, ollama_tiers)
        finally:
            if own:
                await provider.aclose()
    checks += anthropic_checks(settings)
    return checks


def config_check(settings: Settings, problems: Sequence[ConfigProblem | str]) -> Check:
    """The config file parsed and every value was valid."""
    where = settings.config_path or paths.config_file()
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        listing = "\n".join(str(problem) for problem in problems)
        return Check(
            "config",
            "fail",
            f"{count}; the settings concerned use their defaults:\n{listing}",
            f"edit {display_path(where)} (`workbench config` shows the effective settings)",
        )
    if settings.source is None:
        return Check("config", "ok", f"no config file at {display_path(where)}: using defaults")
    return Check("config", "ok", f"{display_path(settings.source)} is valid")


def data_dir_check() -> Check:
    """Sessions can be written: the data folder exists (or can be made) and takes a file."""
    folder = paths.data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass  # created, then removed on close
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Check(
            "data folder",
            "fail",
            f"cannot write to {display_path(folder)}: {reason}",
            f"fix the permissions of {display_path(folder)}, "
            "or set WORKBENCH_DATA_DIR to a writable folder",
        )
    return Check("data folder", "ok", f"{display_path(folder)} is writable")


async def ollama_checks(
    provider: OllamaProvider, settings: Settings, tiers: dict[str, TierSettings]
) -> list[Check]:
    """The server answers, and which models of each Ollama tier it has."""
    try:
        version = await provider.version()
        installed = {canonical_name(m.name): m for m in await provider.list_models()}
    except ProviderError as error:
        return [_ollama_down(provider, settings, error)]
    checks = [Check("ollama", "ok", f"Ollama {version or '(unknown version)'} at {provider.url}")]
    for name, tier in tiers.items():
        checks += tier_checks(name, tier.models, installed)
    return checks


def _ollama_down(provider: OllamaProvider, settings: Settings, error: ProviderError) -> Check:
    config = display_path(settings.config_path or paths.config_file())
    if error.kind is ErrorKind.UNREACHABLE:
        return Check(
            "ollama",
            "fail",
            f"cannot reach Ollama at {provider.url}; the local tiers cannot work",
            f"start it with `ollama serve`, or set host under [ollama] in {config} "
            "(or OLLAMA_HOST) to where it runs",
        )
    return Check(
        "ollama",
        "fail",
        error.message,
        f"check that host under [ollama] in {config} (or OLLAMA_HOST) points at Ollama",
    )


def tier_checks(tier: str, models: list[str], installed: dict[str, ModelInfo]) -> list[Check]:
    """One check per model of an Ollama tier; one failure when none of them is installed."""
    name = f"tier {tier}"
    if not models:
        return [Check(name, "warn", "lists no models", f"add models = [...] under [tiers.{tier}]")]
    if not any(canonical_name(m) in installed for m in models):
        return [
            Check(
                name,
                "fail",
                f"none of its models is installed ({', '.join(models)})",
                f"workbench pull --tier {tier}  (or: ollama pull {models[0]})",
            )
        ]
    checks = []
    for model in models:
        info = installed.get(canonical_name(model))
        if info is None:
            fix = f"ollama pull {model}  (or: workbench pull --tier {tier})"
            checks.append(Check(name, "warn", f"{model} is not installed", fix))
        else:
            about = ", ".join(p for p in (info.parameter_size, info.quantization) if p)
            checks.append(
                Check(name, "ok", f"{model} installed" + (f" ({about})" if about else ""))
            )
    return checks


def anthropic_checks(settings: Settings) -> list[Check]:
    """The cloud tiers have an API key (its presence only: the key is never shown or sent)."""
    tiers = [n for n, t in settings.tiers.items() if t.provider == "anthropic"]
    if not tiers:
        return []
    names = ", ".join(tiers)
    plural = "s" if len(tiers) > 1 else ""
    if settings.anthropic.api_key:
        return [Check("anthropic", "ok", f"API key set (tier{plural} {names})")]
    config = display_path(settings.config_path or paths.config_file())
    return [
        Check(
            "anthropic",
            "warn",
            f"no API key, so tier{plural} {names} cannot be used",
            f"export ANTHROPIC_API_KEY=<your key>, or set api_key under [anthropic] in {config}",
        )
    ]


def format_checks(checks: Sequence[Check], *, ascii_only: bool = False) -> str:
    """Plain text: one line per check, detail lines and the fix indented below it."""
    marks = ASCII_MARKS if ascii_only else MARKS
    lines: list[str] = []
    for check in checks:
        first, *rest = check.detail.splitlines() or [""]
        lines.append(f"{marks[check.level]} {check.name}: {first}")
        lines += [f"    {line}" for line in rest]
        if check.fix and check.level != "ok":
            lines.append(f"    fix: {check.fix}")
    lines += ["", summary(checks)]
    return "\n".join(lines)


def summary(checks: Sequence[Check]) -> str:
    """One closing line: how many warnings and failures."""
    fails = sum(c.level == "fail" for c in checks)
    warns = sum(c.level == "warn" for c in checks)
    if not fails and not warns:
        return "All checks passed."
    counts = ((fails, "failure"), (warns, "warning"))
    return ", ".join(f"{n} {word}{'s' if n > 1 else ''}" for n, word in counts if n) + "."


def exit_code(checks: Sequence[Check]) -> int:
    """0 when nothing failed (warnings allowed), 1 otherwise."""
    return 1 if any(c.level == "fail" for c in checks) else 0


def can_encode_marks(encoding: str | None) -> bool:
    """Whether a stream with this encoding can print the check marks."""
    try:
        "".join(MARKS.values()).encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
