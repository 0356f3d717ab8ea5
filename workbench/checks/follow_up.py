"""The failed checks of a run as follow-up parts, long output cut to what matters first.

A failing check's output is what the Implement model needs to fix the code, but a test run can
print far more than a model should read. Output longer than `CUT_OVER_CHARS` is cut by the fast
model (the small-model tier's large-read rule: a local model reads the bulk, the slow one gets
the gist); when that fails, the output's last `KEEP_CHARS` are quoted and the part says so.
Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from workbench.apply.follow_up import FollowUp, FollowUpPart, diff_part, edit_parts
from workbench.checks.results import CheckRun
from workbench.checks.runner import CheckResult
from workbench.providers.base import ProviderError

if TYPE_CHECKING:
    from workbench.apply.changes import ChangeSet

CUT_OVER_CHARS = 6_000
"""A check's output longer than this is cut by the fast model before it is sent."""
KEEP_CHARS = 6_000
"""What is quoted of a long output when the fast model could not cut it: its end."""
CHECKS_TITLE = "Checks that failed"
CUT_INSTRUCTIONS = (
    "Below is the output of a failing check (tests or a linter). Copy out, verbatim, only the "
    "lines a developer needs to fix it: the names of the failing tests, the assertion or error "
    "messages, the last frames of each traceback with their file:line, and the final summary "
    "line. Leave out passing tests, progress dots and repeated lines. Reply with the copied "
    "lines only, no comments, no code fence."
)

Cut = Callable[[str, str], Awaitable[str]]
"""Asks the fast model: (instructions, text) → its answer; raises ProviderError."""
STATUS_WORDS = {
    "failed": "failed",
    "timed_out": "timed out",
    "killed": "was stopped",
    "error": "could not run",
    "passed": "passed",
}


def is_long(result: CheckResult) -> bool:
    """Whether a failed check's output is cut by the fast model before it is sent."""
    return result.output_bytes > len(result.output_tail.encode()) + 1 or (
        len(result.output_tail.strip("\n")) > CUT_OVER_CHARS
    )


async def output_for_model(result: CheckResult, cut: Cut | None) -> str:
    """What a follow-up quotes of a check's output: all of it when short, else cut."""
    output = result.output_tail.strip("\n")
    if not is_long(result):
        return output
    if cut is not None:
        try:
            answer = (await cut(CUT_INSTRUCTIONS, output)).strip("\n")
        except ProviderError as error:
            why = f"the fast model could not shorten it: {error.message}"
        else:
            if answer.strip():
                return (
                    f"[cut by the fast model from {result.output_bytes:,} bytes of output]\n"
                    f"{answer}"
                )
            why = "the fast model gave an empty answer"
    else:
        why = "no fast model to shorten it"
    kept = output[-KEEP_CHARS:]
    return f"[the last {len(kept):,} of {result.output_bytes:,} bytes of output; {why}]\n{kept}"


async def check_parts(run: CheckRun, cut: Cut | None) -> list[FollowUpPart]:
    """The run's failed checks (status, exit code, output) as one part; none if all passed."""
    failed = [result for result in run.results if not result.passed]
    if not failed:
        return []
    blocks: list[str] = []
    for result in failed:
        status = STATUS_WORDS.get(result.status, result.status)
        code = f", exit code {result.exit_code}" if result.exit_code is not None else ""
        heading = f"`{result.command}` {status}{code}"
        if result.error:
            heading += f" ({result.error})"
        output = await output_for_model(result, cut)
        fence = "```"
        while fence in output:
            fence += "`"
        body = f"{fence}text\n{output}\n{fence}" if output.strip() else "(no output)"
        blocks.append(f"{heading}\n{body}")
    return [FollowUpPart(CHECKS_TITLE, "\n\n".join(blocks))]


async def compose_follow_up(
    *,
    changes: ChangeSet | None,
    run: CheckRun | None,
    diff: str,
    cut: Cut | None,
) -> FollowUp:
    """The follow-up for this round: failed edits and noted rejections, failed checks, and the
    diff already applied (so the model knows what the files hold now)."""
    parts = edit_parts(changes) if changes is not None else []
    if run is not None:
        parts += await check_parts(run, cut)
    applied = diff_part(diff)
    if applied is not None:
        parts.append(applied)
    return FollowUp(parts, applied=applied is not None)
