"""Prints a reply's events for `workbench ask` and `workbench send`.

The answer goes to stdout, alone, so it can be piped; tool steps, progress, fallbacks and
warnings go to stderr, one line each. With `--json`, stdout gets one JSON object per event
instead (never the settings, so never a key). Core module: never imports textual.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from workbench.chat.events import (
    ConsentAnswer,
    ConsentRequest,
    Ended,
    Inserted,
    Notice,
    Progress,
    PromptChanged,
    ReplyEvent,
    Started,
    Switched,
    Text,
    ToolStepped,
)
from workbench.project.attach import describe_entry
from workbench.project.explore import tool_call_text
from workbench.session.transcript import attached_record
from workbench.textclean import sanitize


def can_encode(stream: TextIO, text: str) -> bool:
    """Whether `stream` can print `text` (a C-locale terminal cannot print "▸")."""
    try:
        text.encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def is_terminal(stream: TextIO) -> bool:
    """True when `stream` is a terminal (False for pipes, files and test captures)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


def event_record(event: ReplyEvent) -> dict[str, Any]:
    """The fields of an event that matter to a script, as one JSON-ready object."""
    match event:
        case Started(prompt=prompt, reply=reply):
            return {"type": "started", "model": reply.model, "prompt_id": prompt.id}
        case Progress(text=text):
            return {"type": "progress", "text": text}
        case PromptChanged(prompt=prompt):
            shown = ("path", "tokens", "summary", "error")
            attached = [
                {key: value for key, value in attached_record(entry).items() if key in shown}
                for entry in prompt.attachments or []
            ]
            return {"type": "attachments", "attachments": attached}
        case Inserted(message=message, covered=covered):
            return {"type": "summary", "covered": len(covered), "text": message.content}
        case Text(text=text):
            return {"type": "text", "text": text}
        case ToolStepped(message=message):
            try:
                arguments = json.loads(message.tool_args or "{}")
            except ValueError:
                arguments = message.tool_args
            return {
                "type": "tool",
                "name": message.tool_name,
                "args": arguments,
                "ok": message.status == "done",
            }
        case Switched(model=model, note=note):
            return {
                "type": "switched",
                "model": model.name,
                "provider": model.provider,
                "tier": model.tier,
                "note": note,
            }
        case Notice(text=text, title=title, severity=severity):
            return {"type": "notice", "severity": severity, "title": title, "text": text}
        case ConsentRequest(model=model, tokens=tokens):
            return {"type": "consent", "model": model.name, "tokens": tokens}
        case Ended():
            return ended_record(event)
    raise TypeError(f"not a reply event: {event!r}")  # pragma: no cover


def ended_record(end: Ended) -> dict[str, Any]:
    """How the turn came out: status, model, stop reason, token usage, error."""
    usage = end.usage
    return {
        "type": "ended",
        "status": end.status.value,
        "model": end.reply.model if end.reply is not None else None,
        "stop_reason": end.stop_reason,
        "usage": None
        if usage is None
        else {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "duration_s": round(usage.duration_s, 2),
        },
        "error": None
        if end.error is None
        else {"kind": end.error.kind.value, "message": end.error.message},
    }


class ReplyPrinter:
    """Writes events: the answer (or JSON lines) on stdout, everything else on stderr."""

    def __init__(
        self, *, json_lines: bool, out: TextIO | None = None, err: TextIO | None = None
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.json_lines = json_lines
        """One JSON object per event on stdout instead of the answer's text."""
        self.extra: dict[str, Any] = {}
        """Fields added to the "started" record (the session id, the pane)."""
        self._tool_mark = "▸" if can_encode(self.err, "▸") else ">"
        self._out_tty = is_terminal(self.out)
        self._at_line_start = True
        self._out_gone = False

    # -- stdout -----------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Write to stdout now; a closed pipe (`| head`) stops the output, not the reply."""
        if self._out_gone or not text:
            return
        try:
            try:
                self.out.write(text)
            except UnicodeEncodeError:
                encoding = self.out.encoding or "ascii"
                self.out.write(text.encode(encoding, "replace").decode(encoding))
            self.out.flush()
        except BrokenPipeError:
            self._out_gone = True
            # Python would complain about the pipe again when it flushes stdout at exit.
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self.out.fileno())
            except (OSError, ValueError):
                pass
            return
        self._at_line_start = text.endswith("\n")

    def record(self, record: dict[str, Any]) -> None:
        """One JSON line on stdout (with --json)."""
        if self.json_lines:
            self.write(json.dumps(record, ensure_ascii=False) + "\n")

    def end_line(self) -> None:
        """End the answer's last line, so the shell prompt starts on its own line."""
        if not self.json_lines and not self._at_line_start:
            self.write("\n")

    # -- stderr -----------------------------------------------------------------------------

    def note(self, text: str) -> None:
        """One line (or a few) for the user on stderr (escape codes stripped: paths and titles
        come from files, and the core's messages quote servers)."""
        text = sanitize(text)
        if self._out_tty and not self._at_line_start:
            self.write("\n")  # the same terminal: do not glue the note to the answer's text
        try:
            print(text, file=self.err, flush=True)
        except UnicodeEncodeError:
            encoding = self.err.encoding or "ascii"
            print(text.encode(encoding, "replace").decode(encoding), file=self.err, flush=True)

    def error(self, text: str) -> None:
        """A failure, worded for the user, on stderr."""
        self.note(f"workbench: {text}")

    # -- events -----------------------------------------------------------------------------

    def show(self, event: ReplyEvent) -> None:
        """Print one event (a consent request is shown by whoever answers it)."""
        if isinstance(event, ConsentRequest):
            return
        self.record(event_record(event) | (self.extra if isinstance(event, Started) else {}))
        match event:
            case Text(text=text) if not self.json_lines:
                self.write(text)
            case Progress(text=text):
                self.note(f"… {text}")
            case PromptChanged(prompt=prompt):
                for entry in prompt.attachments or []:
                    self.note(describe_entry(entry))
            case Inserted(message=message):
                self.note(message.note or "Older messages were summarized.")
            case ToolStepped(message=message):
                line = tool_call_text(message)
                failed = "" if message.status == "done" else f" (failed: {message.content})"
                self.note(f"{self._tool_mark} {line}{failed}")
            case Switched(note=note):
                self.note(note)
            case Notice(text=text, title=title, severity=severity):
                label = "note" if severity == "information" else severity
                self.note(f"{label}: {title + ': ' if title else ''}{text}")
            case Ended():
                self.end_line()

    def consent(self, request: ConsentRequest, answer: ConsentAnswer, *, asked: bool) -> None:
        """Record the answer given to a consent request (--json)."""
        self.record(event_record(request) | {"answer": answer, "asked": asked})
