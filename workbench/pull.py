"""`workbench pull`: download the Ollama models the tiers name, with progress and a summary.

Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import TextIO

from workbench.config import Settings
from workbench.providers.base import ErrorKind, ProviderError, PullProgress
from workbench.providers.ollama import OllamaProvider, canonical_name

BAR_WIDTH = 24
INTERRUPTED = 130
"""Exit code after Ctrl+C (128 + SIGINT), as shells expect."""


class PullUsageError(ValueError):
    """The command asks for something that cannot be pulled (an unknown or cloud tier)."""


def wanted_models(settings: Settings, tier: str | None, models: Iterable[str]) -> list[str]:
    """The models to have installed: those named, plus tier T's, or every Ollama tier's."""
    names = list(models)
    if tier is not None:
        spec = settings.tiers.get(tier)
        if spec is None:
            known = ", ".join(settings.tiers) or "none"
            raise PullUsageError(f"there is no tier '{tier}' (tiers: {known})")
        if spec.provider != "ollama":
            raise PullUsageError(f"tier '{tier}' runs on {spec.provider}: there is nothing to pull")
        names += spec.models
    elif not names:
        names = [
            m for spec in settings.tiers.values() if spec.provider == "ollama" for m in spec.models
        ]
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(canonical_name(name), name)
    return list(unique.values())


def listed_name(model: str) -> str:
    """The name /api/tags lists a model under: "registry.ollama.ai/library/x" is "x:latest"."""
    return canonical_name(model).removeprefix("registry.ollama.ai/").removeprefix("library/")


async def pull_model(provider: OllamaProvider, model: str) -> AsyncIterator[PullProgress]:
    """Download a model, yielding the server's progress, then check the server lists it.

    Servers imitating Ollama may answer "success" to a pull without downloading anything
    (ollama-proxy-plus does, for any name), so the end of the stream proves nothing: the model
    must be in /api/tags afterwards. Raises `ProviderError` (naming the server's URL) when the
    download fails or the model is not listed after it.
    """
    succeeded = False
    steps = provider.pull(model)
    try:
        async for progress in steps:
            succeeded = succeeded or progress.status == "success"
            yield progress
    finally:
        # Closed with us (a cancelled or abandoned pull), so its HTTP stream closes at once.
        close = getattr(steps, "aclose", None)
        if close is not None:
            await close()
    listed = {listed_name(m.name) for m in await provider.list_models()}
    if listed_name(model) in listed:
        return
    said = "said the pull succeeded" if succeeded else "ended the pull without an error"
    raise ProviderError(
        ErrorKind.MODEL_MISSING,
        f"The server at {provider.url} {said} but does not list '{model}' among its models "
        "(/api/tags). It may not be a real Ollama server, or it does not support pulls: check "
        "OLLAMA_HOST, or install the model on that server by its own means.",
    )


def download_size(count: int) -> str:
    """Bytes of a model download, in decimal units as `ollama pull` shows them: "4683.1 MB"."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    return f"{count / 1_000:.1f} KB"


class ProgressPrinter:
    """Shows pull progress: a redrawn bar per layer on a terminal, status lines otherwise."""

    def __init__(self, out: TextIO, *, tty: bool) -> None:
        self.out = out
        self.tty = tty
        self.model: str | None = None
        """The model being pulled right now."""
        self._shown = ""  # the line on screen (tty) or the last status written (pipe)
        self._status = ""
        self._open = False  # a tty line is waiting for its newline

    def start(self, model: str) -> None:
        """A new model's download begins."""
        self.end_line()
        self.model = model
        self._shown = ""
        self._write(f"Pulling {model}\n")

    def update(self, progress: PullProgress) -> None:
        """Show one progress step (redrawn only when what is shown changes)."""
        if not self.tty:
            if progress.status != self._shown:
                self._shown = progress.status
                size = f" ({download_size(progress.total)})" if progress.total else ""
                self._write(f"  {progress.status}{size}\n")
            return
        line = self.render(progress)
        if line == self._shown:
            return
        if self._open and progress.status != self._status:
            self.end_line()  # the next layer or step gets a bar of its own
        # Blank out the tail of a longer line drawn before on the same row.
        padding = " " * max(0, len(self._shown) - len(line)) if self._open else ""
        self._write("\r" + line + padding)
        self._shown, self._status, self._open = line, progress.status, True

    @staticmethod
    def render(progress: PullProgress) -> str:
        """One terminal line: status, bar, percent and size done/total."""
        fraction = progress.fraction
        if fraction is None or not progress.total:
            return f"  {progress.status}"
        filled = round(fraction * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        done = download_size(progress.completed or 0).split()[0]
        return (
            f"  {progress.status}  [{bar}] {fraction:4.0%}  {done}/{download_size(progress.total)}"
        )

    def say(self, text: str, *, err: bool = False) -> None:
        """A whole line of its own (after any bar being redrawn)."""
        self.end_line()
        if err:
            print(text, file=sys.stderr, flush=True)
        else:
            self._write(text + "\n")

    def end_line(self) -> None:
        """Finish a redrawn terminal line so the next output starts on a fresh one."""
        if self._open:
            self._write("\n")
            self._open, self._shown = False, ""

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


@dataclass
class PullReport:
    """What a `workbench pull` did, kept up to date so Ctrl+C can still report it."""

    pulled: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(model, reason) for each download that failed."""

    def summary(self) -> str:
        """The closing lines."""
        lines = []
        if self.pulled:
            lines.append(f"Pulled: {', '.join(self.pulled)}")
        if self.already:
            lines.append(f"Already installed: {', '.join(self.already)}")
        lines += [f"Failed: {model}: {reason}" for model, reason in self.failed]
        return "\n".join(lines) or "Nothing to pull."


async def pull_models(
    provider: OllamaProvider, wanted: list[str], printer: ProgressPrinter, report: PullReport
) -> None:
    """Pull each model not installed yet; record the outcome of each in `report`."""
    installed = {listed_name(m.name) for m in await provider.list_models()}
    for model in wanted:
        if listed_name(model) in installed:
            report.already.append(model)
            printer.say(f"{model}: already installed")
    for model in wanted:
        if listed_name(model) in installed:
            continue
        printer.start(model)
        try:
            async for progress in pull_model(provider, model):
                printer.update(progress)
        except ProviderError as error:
            report.failed.append((model, error.message))
            printer.say(f"  failed: {error.message}")
        else:
            report.pulled.append(model)
        printer.end_line()
        printer.model = None


def run_pull(
    settings: Settings,
    tier: str | None,
    models: list[str],
    *,
    out: TextIO | None = None,
    tty: bool | None = None,
) -> int:
    """The `workbench pull` command: 0 when all is installed, 1 on a failure, 130 on Ctrl+C."""
    out = out or sys.stdout
    printer = ProgressPrinter(out, tty=out.isatty() if tty is None else tty)
    try:
        wanted = wanted_models(settings, tier, models)
    except PullUsageError as error:
        printer.say(f"workbench pull: {error}", err=True)
        return 2
    if not wanted:
        printer.say("No Ollama models are configured in any tier: nothing to pull.")
        return 0
    provider = OllamaProvider(
        settings.ollama.host,
        timeout_s=settings.ollama.timeout_s,
        connect_timeout_s=settings.ollama.connect_timeout_s,
    )
    report = PullReport()

    async def pull() -> None:
        try:
            await pull_models(provider, wanted, printer, report)
        finally:
            await provider.aclose()

    try:
        asyncio.run(pull())
    except KeyboardInterrupt:
        # asyncio.run cancelled the pull first, which closed the download stream.
        unfinished = f"{printer.model} was not finished" if printer.model else "nothing was pulled"
        printer.say(
            f"Cancelled: {unfinished}. Ollama keeps what it downloaded and resumes it on the "
            "next pull."
        )
        if report.pulled:
            printer.say(f"Pulled before that: {', '.join(report.pulled)}")
        return INTERRUPTED
    except ProviderError as error:  # the model list: the server is down or refused
        printer.say(f"workbench pull: {error.message}", err=True)
        return 1
    printer.say("")
    printer.say(report.summary())
    return 1 if report.failed else 0
