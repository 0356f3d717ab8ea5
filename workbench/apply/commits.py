"""Apply and undo with the opt-in git commit (`[apply] commit`): one commit per apply holding only
the applied paths, its message written by the fast model; undo commits the revert.

Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from workbench.apply.git_commit import GitCommitError, commit_paths, commit_revert, in_git_repo
from workbench.apply.journal_entry import JournalEntry
from workbench.apply.staging_area import ApplyResult, StagingArea
from workbench.config import ModelRef, Settings
from workbench.providers.base import ProviderError
from workbench.providers.chain import ask_once
from workbench.providers.router import ProviderRouter

MESSAGE_TIMEOUT_S = 60.0
"""Longest wait for the fast model's commit message; then a plain one is used."""
DIFF_FOR_MESSAGE_CHARS = 12_000
MESSAGE_INSTRUCTIONS = (
    "Write the git commit message for the change below: a subject line of at most 72 "
    "characters in the imperative mood, then a blank line and at most three short lines saying "
    "what changed and why. Reply with the message only, no code fence."
)


@dataclass
class UndoResult:
    """What an undo restored, and what happened to the revert commit."""

    entry: JournalEntry
    message: str = ""


def plain_subject(title: str) -> str:
    """The commit subject used when the fast model gives none."""
    return f"workbench: {title}"[:72]


def clean_message(answer: str, title: str) -> str:
    """The model's commit message without fences or quotes; a plain one when it is empty."""
    lines = [line.rstrip() for line in answer.strip().splitlines() if not line.startswith("```")]
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return plain_subject(title)
    lines[0] = lines[0].strip().strip("\"'`")[:72] or plain_subject(title)
    return "\n".join(lines).strip() + "\n"


async def commit_message(
    router: ProviderRouter, fast: ModelRef, title: str, diff: str
) -> tuple[str, str | None]:
    """(message, why the fast model did not write it or None)."""
    text = f"Task: {title}\n\nDiff:\n{diff[:DIFF_FOR_MESSAGE_CHARS]}"
    try:
        answer = await asyncio.wait_for(
            ask_once(router, fast, MESSAGE_INSTRUCTIONS, text), MESSAGE_TIMEOUT_S
        )
    except ProviderError as error:
        return plain_subject(title) + "\n", f"{fast.name}: {error.message}"
    except TimeoutError:
        return plain_subject(title) + "\n", f"{fast.name} took over {MESSAGE_TIMEOUT_S:g} s"
    return clean_message(answer, title), None


async def apply_changes(
    staging: StagingArea,
    settings: Settings,
    router: ProviderRouter,
    fast: ModelRef,
    title: str,
    paths: list[str] | None = None,
) -> ApplyResult:
    """Write the accepted hunks; commit them when `[apply] commit` is on in a git repository."""
    diff = staging.diff_text(paths) if settings.apply.commit else ""  # for the message
    result = await asyncio.to_thread(staging.apply, paths)
    if result.entry is None or not settings.apply.commit:
        return result
    root = staging.root
    if not await asyncio.to_thread(in_git_repo, root):
        result.message = "Applied; not committed: the project is not a git repository."
        return result
    message, why = await commit_message(router, fast, title, diff)
    try:
        sha = await asyncio.to_thread(commit_paths, root, result.written, message)
    except GitCommitError as error:
        result.message = f"Applied, but the commit failed (the files are written): {error}"
        return result
    result.entry = staging.journal.record(result.entry, commit=sha)
    result.message = f"Committed {sha[:10]}" + (f" (plain message: {why})" if why else "")
    return result


class ChangeActions(Protocol):
    """What the Changes view needs: the staging area, and apply and undo as the session does them
    (the `SessionController` commits when `[apply] commit` is on)."""

    staging: StagingArea

    async def apply_changes(self, paths: list[str] | None = None) -> ApplyResult:
        """Write the accepted hunks."""
        ...

    async def undo_apply(self) -> UndoResult:
        """Undo the last apply."""
        ...


class PlainChanges:
    """`ChangeActions` for a staging area on its own: apply and undo without commits."""

    def __init__(self, staging: StagingArea) -> None:
        self.staging = staging

    async def apply_changes(self, paths: list[str] | None = None) -> ApplyResult:
        """Write the accepted hunks (off the event loop)."""
        return await asyncio.to_thread(self.staging.apply, paths)

    async def undo_apply(self) -> UndoResult:
        """Undo the last apply (off the event loop)."""
        return UndoResult(await asyncio.to_thread(self.staging.undo))


async def undo_changes(staging: StagingArea) -> UndoResult:
    """Undo the last apply; when it was committed, commit the revert (only those paths)."""
    entry = await asyncio.to_thread(staging.undo)
    if not entry.commit:
        return UndoResult(entry)
    try:
        sha = await asyncio.to_thread(commit_revert, staging.root, entry.paths, entry.commit)
    except GitCommitError as error:
        return UndoResult(entry, f"Restored, but the revert commit failed: {error}")
    entry = staging.journal.record(entry, undo_commit=sha)
    return UndoResult(entry, f"Reverted in commit {sha[:10]}")
