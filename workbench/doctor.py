"""`workbench doctor`: check the config, the servers, the models and the data folder.

Every check says what it found and, when something is wrong, the URL concerned and the command
or setting that fixes it. `deep` checks also send each tier's first model a one-token chat.
Core module: never imports textual.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from workbench import paths
from workbench.config import ConfigProblem, ModelRef, Settings, TierSettings, display_path
from workbench.providers.anthropic import AnthropicProvider, EndpointAnswer
from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    ModelInfo,
    ProviderError,
    TextDelta,
)
from workbench.providers.ollama import OllamaProvider, canonical_name

Level = Literal["ok", "warn", "fail", "skip"]

MARKS: dict[Level, str] = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}
ASCII_MARKS: dict[Level, str] = {"ok": "ok", "warn": "!!", "fail": "XX", "skip": "--"}
"""For a terminal or pipe that cannot encode the check marks."""

PROBE_TIMEOUT_S = 15.0
"""Longest wait for a server to answer a probe: doctor must not hang."""
DEEP_TIMEOUT_S = 120.0
"""Longest wait for a model to load and answer one token (`deep` checks)."""
OLLAMA_VERSION = re.compile(r"\d+\.\d+\.\d+([-+][\w.+-]*)?")
"""What Ollama's /api/version reports: "0.12.6", "0.5.7-rc1"."""
PROBE_PROMPT = "Say OK."


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    """What was checked ("config", "ollama", "tier fast", "chat fast", ...)."""
    level: Level
    """"ok", "warn" (works, but something is missing), "fail" (this part cannot work) or
    "skip" (not checked, and why)."""
    detail: str
    """What was found; may span lines."""
    fix: str | None = None
    """The command or setting that fixes it, when it is not ok."""


async def run_checks(
    settings: Settings,
    problems: Sequence[ConfigProblem | str],
    *,
    ollama: OllamaProvider | None = None,
    deep: bool = False,
    cloud: bool = False,
) -> list[Check]:
    """Run every check; never raises for a failing server or folder.

    `deep` also sends a one-token chat to the first model of each Ollama tier; with `cloud`, of
    each Anthropic tier too (that sends text to the API and is billed, so only when asked).
    """
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
    checks += await anthropic_checks(settings)
    if deep:
        checks += await chat_checks(settings, cloud=cloud)
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
    """The server answers like Ollama, and which models of each Ollama tier it has."""
    try:
        server = version_check(provider, settings, await provider.version())
    except ProviderError as error:
        if error.kind is ErrorKind.UNREACHABLE:
            return [_ollama_down(provider, settings, error)]
        # Not fatal: a server imitating Ollama may lack /api/version yet serve chats.
        reason = "HTTP 404" if error.kind is ErrorKind.MODEL_MISSING else error.message
        server = _not_ollama(provider, settings, f"did not answer /api/version ({reason})")
    try:
        installed = {canonical_name(m.name): m for m in await provider.list_models()}
    except ProviderError as error:
        return [_ollama_down(provider, settings, error)]
    checks = [server]
    for name, tier in tiers.items():
        checks += tier_checks(name, tier.models, installed)
    return checks


def version_check(provider: OllamaProvider, settings: Settings, version: str) -> Check:
    """Ollama reports a version like "0.12.6"; anything else hints at an imitation."""
    if OLLAMA_VERSION.fullmatch(version):
        return Check("ollama", "ok", f"Ollama {version} at {provider.url}")
    answer = f"answered /api/version with {version!r}" if version else "reported no version"
    return _not_ollama(provider, settings, f"{answer}, not an Ollama version like 0.12.6")


def _not_ollama(provider: OllamaProvider, settings: Settings, what: str) -> Check:
    config = display_path(settings.config_path or paths.config_file())
    return Check(
        "ollama",
        "warn",
        f"the server at {provider.url} {what}: it may not be Ollama, and the local tiers may "
        "not work as expected",
        f"check that host under [ollama] in {config} (or OLLAMA_HOST) points at Ollama; "
        "`workbench doctor --deep` tries a real chat",
    )


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


async def anthropic_checks(settings: Settings) -> list[Check]:
    """The API key is set (never shown) and the API answers at its URL (nothing is generated).

    Runs when a tier uses Anthropic or a key is configured.
    """
    tiers = [n for n, t in settings.tiers.items() if t.provider == "anthropic"]
    if not tiers and not settings.anthropic.api_key:
        return []
    config = display_path(settings.config_path or paths.config_file())
    names = f"tier{'s' if len(tiers) > 1 else ''} {', '.join(tiers)}" if tiers else ""
    if not settings.anthropic.api_key:
        return [
            Check(
                "anthropic",
                "warn",
                f"no API key, so {names} cannot be used",
                "export ANTHROPIC_API_KEY=<your key>, or set api_key under [anthropic] in "
                + config,
            )
        ]
    provider = anthropic_provider(settings, PROBE_TIMEOUT_S, tiers)
    try:
        answer = await provider.check_endpoint()
    except ProviderError as error:
        return [Check("anthropic", "fail", error.message, _base_url_fix(provider.url, config))]
    finally:
        await provider.aclose()
    return [endpoint_check(answer, provider.url, names, config)]


def anthropic_provider(settings: Settings, timeout_s: float, tiers: list[str]) -> AnthropicProvider:
    """A provider for probes: no retries, so a failure is reported at once."""
    cfg = settings.anthropic
    return AnthropicProvider(
        cfg.api_key,
        base_url=cfg.base_url,
        max_tokens=cfg.max_tokens,
        max_retries=0,
        timeout_s=timeout_s,
        models=[m for t in tiers for m in settings.tiers[t].models],
    )


def endpoint_check(answer: EndpointAnswer, url: str, tiers: str, config: str) -> Check:
    """What the API's answer to `check_endpoint` means for the cloud `tiers` ("tier cloud")."""
    status = answer.status
    if status == 200 or (status == 400 and answer.request.startswith("POST")):
        # The real API lists models; a gateway without that list still took a message request.
        how = "lists models" if answer.request.startswith("GET") else "answers /v1/messages"
        used = tiers or "no tier uses it"
        return Check("anthropic", "ok", f"API key set ({used}); the API at {url} {how}")
    if status in (401, 403):
        what = "rejected the API key" if status == 401 else "refused the API key"
        return Check(
            "anthropic",
            "fail",
            f"the API at {url} {what} (HTTP {status}: {answer.message})",
            f"check ANTHROPIC_API_KEY, or api_key under [anthropic] in {config}",
        )
    if status == 404:
        return Check(
            "anthropic",
            "fail",
            f"the server at {url} answered HTTP 404 to GET /v1/models and to POST "
            f"/v1/messages: the base URL is wrong" + (f", so {tiers} cannot work" if tiers else ""),
            _base_url_fix(url, config),
        )
    return Check(
        "anthropic",
        "warn",
        f"the API at {url} answered {answer.request} with HTTP {status}: {answer.message}",
        "retry later; `workbench doctor --deep --cloud` tries a one-token reply",
    )


def _base_url_fix(url: str, config: str) -> str:
    fix = (
        f"set base_url under [anthropic] in {config} (or ANTHROPIC_BASE_URL) to the API's "
        f"address (now {url}; Anthropic's own is https://api.anthropic.com)"
    )
    if url.rstrip("/").endswith("/v1"):
        fix += ", without the trailing /v1: the client adds it"
    return fix


async def chat_checks(settings: Settings, *, cloud: bool) -> list[Check]:
    """Send each tier's first model a one-token chat through the real providers.

    Cloud tiers only with `cloud`: their probe leaves the machine and costs a token.
    """
    checks: list[Check] = []
    ollama = OllamaProvider(
        settings.ollama.host,
        timeout_s=min(settings.ollama.timeout_s, DEEP_TIMEOUT_S),
        connect_timeout_s=settings.ollama.connect_timeout_s,
    )
    tiers = [n for n, t in settings.tiers.items() if t.provider == "anthropic"]
    anthropic = anthropic_provider(settings, DEEP_TIMEOUT_S, tiers)
    try:
        for name, tier in settings.tiers.items():
            if not tier.models:
                continue  # the tier check says so
            check = f"chat {name}"
            if tier.provider == "anthropic" and not cloud:
                checks.append(
                    Check(
                        check,
                        "skip",
                        f"not tried: {tier.models[0]} would be sent a one-token chat at "
                        f"{anthropic.url}, which is billed",
                        "workbench doctor --deep --cloud",
                    )
                )
            elif tier.provider == "anthropic" and not anthropic.has_key:
                checks.append(Check(check, "skip", "not tried: no API key (see anthropic)"))
            else:
                provider = ollama if tier.provider == "ollama" else anthropic
                ref = ModelRef(tier.provider, tier.models[0], name)
                checks.append(await chat_check(check, ref, settings, provider))
    finally:
        await ollama.aclose()
        await anthropic.aclose()
    return checks


async def chat_check(
    name: str, ref: ModelRef, settings: Settings, provider: OllamaProvider | AnthropicProvider
) -> Check:
    """One chat asking for one token: how long the answer took, or the error (with the URL)."""
    # The tier's own options (num_ctx, keep_alive), so Ollama loads the model as a chat would.
    options = replace(settings.options_for(ref), max_tokens=1)
    started = time.monotonic()
    text = ""
    try:
        async for event in provider.stream_chat(
            ref.name, [ChatMessage("user", PROBE_PROMPT)], options=options
        ):
            if isinstance(event, TextDelta):
                text += event.text
    except ProviderError as error:
        where = "" if provider.url in error.message else f" (at {provider.url})"
        return Check(name, "fail", f"{ref.name} did not answer: {error.message}{where}")
    seconds = time.monotonic() - started
    took = f"{seconds:.2f} s" if seconds < 1 else f"{seconds:.1f} s"
    if not text:
        return Check(
            name,
            "warn",
            f"{ref.name} at {provider.url} finished in {took} without any text: its chats may "
            "come back empty",
            "check the server's log (a chat template or context size problem)",
        )
    return Check(name, "ok", f"{ref.name} at {provider.url} answered in {took}")


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
    """One closing line: how many warnings and failures (and checks skipped)."""
    fails = sum(c.level == "fail" for c in checks)
    warns = sum(c.level == "warn" for c in checks)
    skips = sum(c.level == "skip" for c in checks)
    skipped = f"; {skips} skipped" if skips else ""
    if not fails and not warns:
        return f"All checks passed{skipped}."
    counts = ((fails, "failure"), (warns, "warning"))
    return ", ".join(f"{n} {word}{'s' if n > 1 else ''}" for n, word in counts if n) + skipped + "."


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
