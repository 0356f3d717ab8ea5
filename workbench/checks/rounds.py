"""The round history of a session: each Implement prompt, its reply, what was applied from it,
and how the checks went after.

A round is one user message of the Implement transcript (a spec send or a follow-up) with the
reply that answers it, the journal's applies of that reply, the check runs that followed those
applies (or were run by hand while it was the newest round) and the acceptance review of its
code. Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from workbench.apply.journal import Journal
from workbench.apply.journal_entry import EntryState, JournalEntry
from workbench.apply.round_diff import APPLIED_DIFF_EXTRA, applied_diff, diff_counts
from workbench.checks.results import CheckRun, load_runs
from workbench.checks.verdicts import load_reviews
from workbench.session.model import AssistantMessage, Message, UserMessage, is_summary

PROMPT_LINES = 30
"""Lines of the prompt shown in a round's details."""
DIFF_LINES = 400
"""Lines of the applied diff shown in a round's details; the rest is named, not shown."""
MINUS = "\N{MINUS SIGN}"


@dataclass(frozen=True)
class AppliedRound:
    """One apply of a round's reply, as the journal keeps it."""

    id: str
    """The journal entry's id, "0001"."""
    paths: list[str]
    """The files it wrote, in apply order."""
    state: EntryState
    """"applied", "undone", or "writing" (it stopped half way)."""
    added: int
    """Lines added, from the applied diff."""
    removed: int
    """Lines removed, from the applied diff."""
    entry: JournalEntry
    """The journal entry itself (to read its diff again)."""


@dataclass
class Round:
    """One Implement prompt and everything that came of it."""

    number: int
    """1-based, in transcript order."""
    prompt_id: str
    """The id of the user message."""
    sent: str
    """What was sent, for people: "spec v2" or "follow-up"."""
    spec_version: int | None
    """The spec version sent; for a follow-up, the latest one sent before it."""
    time: str
    """When the prompt was written, ISO 8601 UTC."""
    model: str
    """The model that replied; "" when no reply."""
    reply_id: str | None
    """The reply's message id; None when there is none."""
    reply_status: str
    """The reply's status ("done", "cut", ...), or "no reply" / "not sent" / "retried"."""
    prompt: str = ""
    """The prompt's text, as sent."""
    applies: list[AppliedRound] = field(default_factory=list)
    check_runs: list[CheckRun] = field(default_factory=list)
    """Runs after one of the round's applies, and runs by hand while it was the newest round."""
    verdicts: str = ""
    """The summary of the acceptance review of one of the round's applies; "" if none."""

    def changed_text(self) -> str:
        """What the applies still in place changed: "2 files +10 -3" (a real minus sign, U+2212),
        "not applied", or "undone"."""
        if not self.applies:
            return "not applied"
        live = [a for a in self.applies if a.state != "undone"]
        if not live:
            return "undone"
        files = len({path for a in live for path in a.paths})
        added = sum(a.added for a in live)
        removed = sum(a.removed for a in live)
        return f"{files} file{'s' if files != 1 else ''} +{added} {MINUS}{removed}"

    def checks_text(self) -> str:
        """How the newest check run went: "passed 2/2", "failed 1/2: pytest", "not run"."""
        if not self.check_runs:
            return "not run"
        run = self.check_runs[-1]
        if not run.results:
            return "running" if run.ended is None else "no checks"
        total = len(run.results)
        failed = [result.name for result in run.results if not result.passed]
        if not failed:
            return f"passed {total}/{total}"
        return f"failed {len(failed)}/{total}: {', '.join(failed)}"

    def line(self) -> str:
        """The round in one line, for a list."""
        status = "" if self.reply_status == "done" else f" ({self.reply_status})"
        parts = [
            f"{self.number:>2}",
            short_time(self.time),
            f"{self.sent:<10}",
            (self.model or "no model") + status,
            self.changed_text(),
            f"checks {self.checks_text()}",
        ]
        return "  ".join(parts)


def short_time(iso: str) -> str:
    """An ISO 8601 time (UTC) for people, "05-14 09:30"; the text itself if it is not one."""
    when = _parse_time(iso)
    return iso if when is None else when.strftime("%m-%d %H:%M")


def load_rounds(
    session_folder: Path, implement_messages: list[Message], *, root: Path | None = None
) -> tuple[list[Round], list[str]]:
    """The session's rounds, oldest first, and the warnings of the journal, the check runs
    and the acceptance reviews.

    `root` is the project (to rebuild the diff of applies from before the diff was saved
    with them); None reads it from the session.
    """
    rounds = _rounds_of(implement_messages)
    journal = Journal(session_folder)
    entries = journal.entries()
    warnings = list(journal.warnings)
    runs, run_warnings = load_runs(session_folder)
    warnings += run_warnings
    by_reply: dict[str, Round] = {}
    for round_, replies in rounds:
        by_reply.update(dict.fromkeys(replies, round_))
    plain = [round_ for round_, _ in rounds]
    for entry in entries:
        owner = by_reply.get(entry.reply_id) or _round_at(plain, entry.time)
        if owner is not None:
            owner.applies.append(_applied(journal, entry, root))
    by_apply = {a.id: round_ for round_ in plain for a in round_.applies}
    for run in runs:
        owner = by_apply.get(run.apply_id or "") or _round_at(plain, run.started)
        if owner is not None:
            owner.check_runs.append(run)
    reviews, review_warnings = load_reviews(session_folder)
    warnings += review_warnings
    for review in sorted(reviews, key=lambda review: review.created):  # the newest wins
        owner = by_apply.get(review.apply_id or "")
        if owner is not None:
            owner.verdicts = review.summary()
    return plain, warnings


def round_details(round_: Round, journal: Journal, *, root: Path | None = None) -> str:
    """A round in plain text: what was sent, the applied diff, the checks, the verdict."""
    out = [
        f"Round {round_.number}: {round_.sent}, {short_time(round_.time)} UTC",
        f"Reply: {round_.model or 'none'}, {round_.reply_status}",
        f"Changed: {round_.changed_text()}  Checks: {round_.checks_text()}",
        "",
    ]
    lines = round_.prompt.splitlines()
    shown = f"first {PROMPT_LINES} of {len(lines)} lines" if len(lines) > PROMPT_LINES else ""
    out.append(f"Sent ({shown}):" if shown else "Sent:")
    out += ["  " + line for line in lines[:PROMPT_LINES]] or ["  (empty)"]
    out.append("")
    if not round_.applies:
        out.append("Applied: nothing from this reply.")
    for applied in round_.applies:
        out.append(f"Apply {applied.id} ({applied.state}): {', '.join(applied.paths)}")
        out += _cut_diff(journal, applied, root)
    out.append("")
    if not round_.check_runs:
        out.append("Checks: not run.")
    for run in round_.check_runs:
        out += _run_lines(run)
    if round_.verdicts:
        out += ["", f"Acceptance: {round_.verdicts}"]
    return "\n".join(out) + "\n"


def _rounds_of(messages: list[Message]) -> list[tuple[Round, list[str]]]:
    """A round per user message, each with the ids of the replies in its turn."""
    rounds: list[tuple[Round, list[str]]] = []
    version: int | None = None
    prompt: UserMessage | None = None
    replies: list[AssistantMessage] = []
    for message in [*messages, None]:
        if message is not None and message.role == "assistant" and not is_summary(message):
            replies.append(message)
        if message is not None and message.role != "user":
            continue
        if prompt is not None:
            rounds.append(
                (_round(len(rounds) + 1, prompt, version, replies), [r.id for r in replies])
            )
        if message is not None:
            prompt, replies = message, []
            if message.kind == "spec" and message.spec_version is not None:
                version = message.spec_version
    return rounds


def _round(
    number: int, prompt: UserMessage, version: int | None, replies: list[AssistantMessage]
) -> Round:
    """The round of `prompt`, answered by the last of `replies` (a continued reply is one)."""
    reply = replies[-1] if replies else None
    sent = "follow-up"
    if prompt.kind == "spec":
        sent = f"spec v{prompt.spec_version}" if prompt.spec_version else "spec"
    no_reply = {"not_sent": "not sent", "failed": "failed", "retried": "retried"}
    return Round(
        number=number,
        prompt_id=prompt.id,
        sent=sent,
        spec_version=version,
        time=prompt.created,
        model=(reply.model or "") if reply else "",
        reply_id=reply.id if reply else None,
        reply_status=reply.status if reply else no_reply.get(prompt.status, "no reply"),
        prompt=prompt.content,
    )


def _round_at(rounds: list[Round], iso: str) -> Round | None:
    """The round that was the newest at `iso`: the last whose prompt came before it."""
    when = _parse_time(iso)
    if when is None:
        return None
    found = None
    for round_ in rounds:
        started = _parse_time(round_.time)
        if started is not None and started <= when:
            found = round_
    return found


def _applied(journal: Journal, entry: JournalEntry, root: Path | None) -> AppliedRound:
    """An apply with its line counts, from its diff."""
    added, removed = diff_counts(applied_diff(journal, entry, root=root))
    return AppliedRound(entry.id, entry.paths, entry.state, added, removed, entry)


def _cut_diff(journal: Journal, applied: AppliedRound, root: Path | None) -> list[str]:
    """The apply's diff, at most `DIFF_LINES` lines, then a line saying how much is left out."""
    lines = applied_diff(journal, applied.entry, root=root).splitlines() or ["(no changes)"]
    if len(lines) <= DIFF_LINES:
        return lines
    saved = journal.extra(applied.entry, APPLIED_DIFF_EXTRA) is not None
    where = f" (all of it: applies/{applied.id}/extra/{APPLIED_DIFF_EXTRA})" if saved else ""
    return [*lines[:DIFF_LINES], f"… {len(lines) - DIFF_LINES} more lines not shown{where}"]


def _run_lines(run: CheckRun) -> list[str]:
    """A check run: when, after what, each check's status, exit code, time and log."""
    after = f"after apply {run.apply_id}" if run.apply_id else "run by hand"
    out = [f"Checks run {run.id} ({after}, {short_time(run.started)} UTC):"]
    if not run.results:
        out.append("  no check ran" + (" (still running?)" if run.ended is None else ""))
    for result in run.results:
        code = "" if result.exit_code is None else f", exit {result.exit_code}"
        log = f", log {result.log_file}" if result.log_file else ""
        out.append(f"  {result.name}: {result.status}{code}, {result.duration_s:.1f} s{log}")
    return out


def _parse_time(iso: str) -> datetime | None:
    """`iso` as an aware datetime (UTC when it names no zone); None if it is not a time."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
