"""The acceptance review: the fast model judges each acceptance item against the applied diff.

After an apply and its checks, each item under the spec's Acceptance heading gets a verdict (met,
not met, cannot tell), a one-line reason and a `path:line` pointer; a pointer outside the diff's
changed lines is "unverified". A person can overrule any verdict by hand. Reviews are saved in
the session folder as `acceptance/v003.json`, one per spec version (the version that produced the
code), written in one step. Core module: never imports textual.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from workbench.apply.unified_diff import diff_path
from workbench.checks.results import CheckRun, checked_record
from workbench.fileio import atomic_write
from workbench.providers.base import ProviderError
from workbench.session.ids import now_iso
from workbench.spec.acceptance import AcceptanceItem, acceptance_items
from workbench.textclean import sanitize

Verdict = Literal["met", "not_met", "cannot_tell"]
"""How an acceptance item stands after the change."""
VERDICT_LABELS: dict[Verdict, str] = {
    "met": "met",
    "not_met": "not met",
    "cannot_tell": "cannot tell",
}
"""Each verdict in words."""
VERDICT_GLYPHS: dict[Verdict, str] = {"met": "✓", "not_met": "✗", "cannot_tell": "?"}
"""Each verdict as one character."""
ACCEPTANCE_DIR = "acceptance"
"""The reviews' folder inside the session folder."""
REVIEW_VERSION = 1
"""The `version` field of a review's JSON."""
DIFF_CHARS = 24_000
"""Characters of the diff the model is shown, at most."""
OUTPUT_CHARS = 2_000
"""Characters of a failed check's output the model is shown (its end)."""
REASON_CHARS = 300
"""A reason longer than this is cut (it is meant to be one line)."""
NO_ITEMS = "The spec has no acceptance items: add a list under an ## Acceptance heading."
UNREADABLE = "The model's answer could not be read."
SKIPPED = "The model gave no verdict for this item."


@dataclass
class ItemVerdict:
    """The verdict on one acceptance item."""

    item: str
    """The item's text, as the spec had it."""
    line: int
    """The item's 0-based line in the spec."""
    verdict: Verdict
    """What the model said."""
    reason: str
    """The model's one-line reason."""
    pointer: str
    """Where the model says it can be seen, "path:line" (or "path"); "" for nowhere."""
    pointer_in_diff: bool
    """The pointer is on a line the applied diff shows (added or context)."""
    by_hand: Verdict | None = None
    """A person's verdict, which overrules the model's."""
    by_hand_reason: str = ""
    """Why the person overruled it, if they said."""

    @property
    def final(self) -> Verdict:
        """The verdict that counts: the person's, else the model's."""
        return self.by_hand or self.verdict

    @property
    def pointer_unverified(self) -> bool:
        """The model pointed somewhere the diff does not show."""
        return bool(self.pointer) and not self.pointer_in_diff


@dataclass
class AcceptanceReview:
    """Every acceptance item judged once, for the code one spec version produced."""

    spec_version: int | None
    """The spec version the code came from; None when unknown."""
    apply_id: str | None
    """The apply journal entry whose diff was judged ("0001")."""
    check_run_id: str | None
    """The check run the model was shown; None when no checks ran."""
    model: str
    """The model that judged."""
    created: str
    """When, ISO 8601 in UTC."""
    verdicts: list[ItemVerdict] = field(default_factory=list)
    """One per acceptance item, in the spec's order."""
    error: str = ""
    """Why the model gave no usable answer (every verdict is then "cannot tell", with it)."""

    def counts(self) -> dict[Verdict, int]:
        """How many items have each final verdict."""
        counts: dict[Verdict, int] = {"met": 0, "not_met": 0, "cannot_tell": 0}
        for verdict in self.verdicts:
            counts[verdict.final] += 1
        return counts

    def summary(self) -> str:
        """ "2 met · 1 not met · 1 cannot tell" ("no acceptance items" when there are none)."""
        if not self.verdicts:
            return "no acceptance items"
        return " · ".join(f"{n} {VERDICT_LABELS[v]}" for v, n in self.counts().items())


class ReviewUnreadable(Exception):
    """A saved review that cannot be read: the message names the file and why."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"The acceptance review {path} could not be read ({why}).")
        self.path = path
        self.why = why


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(diff: str) -> dict[str, set[int]]:
    """The new-side line numbers (1-based) each hunk of a unified diff spans, per path.

    Added and context lines both count. Paths lose their `a/`/`b/` prefix; a deleted file
    (`+++ /dev/null`) is listed under its old path with no lines.
    """
    changed: dict[str, set[int]] = {}
    lines = diff.splitlines()
    path = ""
    for index, line in enumerate(lines):
        header = index + 1 < len(lines) and lines[index + 1].startswith("+++ ")
        if line.startswith("--- ") and header:
            old = diff_path(line[4:])
            new = diff_path(lines[index + 1][4:])
            path = old if new == "/dev/null" else new
            changed.setdefault(path, set())
        elif path and (hunk := _HUNK.match(line)):
            start, count = int(hunk.group(1)), int(hunk.group(2) or 1)
            changed[path].update(range(start, start + count))
    return changed


_INSTRUCTIONS = """\
You check whether a code change meets a task's acceptance items.
Judge each numbered item against the diff and the check results below.
- "met": the diff or a passing check shows the item is done.
- "not met": the diff or a failing check shows it is not done.
- "cannot tell": the diff does not show it either way. Do not guess.
Reply with ONLY a JSON array, one object per item, in the items' order, and nothing else:
[{"item": 1, "verdict": "met", "reason": "one short line", "where": "path/to/file.py:12"}]
"verdict" is "met", "not met" or "cannot tell". "where" is the file and line in the diff
that shows it, or "" when no line does."""


def review_prompt(
    items: Sequence[AcceptanceItem], diff: str, run: CheckRun | None
) -> tuple[str, str]:
    """The instructions and the text the fast model judges the items from."""
    parts = ["Acceptance items:"]
    parts += [f"{number}. {item.text}" for number, item in enumerate(items, 1)]
    parts += ["", "Check results:"]
    if run is None or not run.results:
        parts.append("No checks were run.")
    for result in run.results if run else []:
        code = "none" if result.exit_code is None else str(result.exit_code)
        parts.append(f"- {result.name} ({result.command}): {result.status}, exit code {code}")
        if not result.passed:
            if result.error:
                parts.append(f"  {sanitize(result.error)}")
            tail = sanitize(result.output_tail)[-OUTPUT_CHARS:].strip("\n")
            if tail:
                parts += ["  Last lines of its output:", *(f"  {x}" for x in tail.splitlines())]
    shown = diff
    if len(diff) > DIFF_CHARS:
        cut = diff.rfind("\n", 0, DIFF_CHARS) + 1 or DIFF_CHARS
        shown = diff[:cut] + f"\n[{len(diff) - cut:,} more characters of the diff left out]\n"
    fence = "```"
    while fence in shown:
        fence += "`"
    parts += ["", "The diff of the change:", f"{fence}diff", shown.rstrip("\n"), fence]
    return _INSTRUCTIONS, "\n".join(parts)


async def review_acceptance(
    ask: Callable[[str, str], Awaitable[str]],
    spec_text: str,
    diff: str,
    run: CheckRun | None,
    *,
    spec_version: int | None,
    apply_id: str | None,
    model: str,
) -> AcceptanceReview:
    """Have the model behind `ask` judge the spec's acceptance items; never raises ProviderError."""
    items = acceptance_items(spec_text)
    review = AcceptanceReview(spec_version, apply_id, run.id if run else None, model, now_iso())
    if not items:
        review.error = NO_ITEMS
        return review
    try:
        answer = await ask(*review_prompt(items, diff, run))
    except ProviderError as failure:
        review.error = f"The fast model could not judge the items: {failure.message}"
        review.verdicts = _all_unknown(items, review.error)
        return review
    review.verdicts, review.error = _parse(answer, items, diff)
    return review


_FENCED = re.compile(r"```[\w-]*\s*\n?(.*?)```", re.DOTALL)
_POINTER = re.compile(
    r"^(?P<path>[^\s:,#`'\"()\[\]{}]+)(?::|#L|,?\s*\(?(?:at\s+)?lines?\s*)?(?P<line>\d+)?", re.I
)
_NOWHERE = {"", "none", "n/a", "na", "-", "null", "unknown", "nowhere"}
_MET = {"met", "yes", "pass", "passed", "true", "done", "ok"}
_NOT_MET = {"not met", "notmet", "unmet", "no", "fail", "failed", "false"}


def parse_review(answer: str, items: Sequence[AcceptanceItem], diff: str) -> list[ItemVerdict]:
    """The model's verdicts, read tolerantly; an item it skipped, or an unreadable answer, is
    "cannot tell". Never raises."""
    return _parse(answer, items, diff)[0]


def _parse(
    answer: str, items: Sequence[AcceptanceItem], diff: str
) -> tuple[list[ItemVerdict], str]:
    """The verdicts, and why the answer could not be read ("" when it could)."""
    objects = _json_objects(answer)
    if objects is None:
        return _all_unknown(items, UNREADABLE), UNREADABLE
    changed = changed_lines(diff)
    by_number: dict[int, dict[str, Any]] = {}
    for position, found in enumerate(objects, 1):
        digits = re.search(r"\d+", str(found.get("item", "")))
        by_number.setdefault(int(digits.group()) if digits else position, found)
    verdicts = []
    for number, item in enumerate(items, 1):
        obj = by_number.get(number)
        if obj is None:
            verdicts.append(ItemVerdict(item.text, item.line, "cannot_tell", SKIPPED, "", False))
            continue
        reason = " ".join(sanitize(str(obj.get("reason") or "")).split())
        if len(reason) > REASON_CHARS:
            reason = reason[: REASON_CHARS - 1] + "…"
        where = next((obj[k] for k in ("where", "pointer", "location", "file") if k in obj), "")
        pointer, in_diff = _pointer(where, changed)
        verdict = _verdict(obj.get("verdict"))
        verdicts.append(ItemVerdict(item.text, item.line, verdict, reason, pointer, in_diff))
    return verdicts, ""


def _json_objects(answer: str) -> list[dict[str, Any]] | None:
    """The objects of the first JSON array in the answer (in a fence, or amid prose); None if
    there is none. Without an array, the objects found one by one."""
    decoder = json.JSONDecoder()
    texts = [*_FENCED.findall(answer), answer]
    for text in texts:
        for start in [m.start() for m in re.finditer(r"\[", text)]:
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                continue
            if isinstance(value, list) and any(isinstance(x, dict) for x in value):
                return [x for x in value if isinstance(x, dict)]
    found: list[dict[str, Any]] = []
    position = answer.find("{")
    while position != -1:
        try:
            value, end = decoder.raw_decode(answer, position)
        except ValueError:
            end = position + 1
        else:
            if isinstance(value, dict) and "verdict" in value:
                found.append(value)
        position = answer.find("{", end)
    return found or None


def _verdict(raw: object) -> Verdict:
    """A verdict as a model spells it ("Not met", "not_met", "yes", "pass"...)."""
    words = " ".join(re.sub(r"[_\-]", " ", str(raw or "")).lower().strip(" .!'\"").split())
    if words in _NOT_MET:
        return "not_met"
    return "met" if words in _MET else "cannot_tell"


def _pointer(raw: object, changed: dict[str, set[int]]) -> tuple[str, bool]:
    """A pointer as "path:line" (or "path"), and whether the diff shows that place."""
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    text = sanitize(str(raw or "")).strip().strip("`'\"")
    match = _POINTER.match(text)
    if text.lower() in _NOWHERE or match is None:
        return "", False
    path, line = match.group("path"), match.group("line")
    if path not in changed and path[:2] in ("a/", "b/") and path[2:] in changed:
        path = path[2:]
    while path.startswith("./"):
        path = path[2:]
    if line is None:
        return path, path in changed
    return f"{path}:{int(line)}", int(line) in changed.get(path, set())


def _all_unknown(items: Sequence[AcceptanceItem], reason: str) -> list[ItemVerdict]:
    """Every item "cannot tell", for `reason`."""
    return [ItemVerdict(i.text, i.line, "cannot_tell", reason, "", False) for i in items]


def review_path(session_folder: Path, spec_version: int | None) -> Path:
    """Where the review of a spec version's code is kept: `acceptance/v003.json`."""
    name = "unversioned" if spec_version is None else f"v{spec_version:03d}"
    return session_folder / ACCEPTANCE_DIR / f"{name}.json"


def save_review(session_folder: Path, review: AcceptanceReview) -> None:
    """Write the review in one step, over any earlier review of the same spec version."""
    record = {"version": REVIEW_VERSION, **asdict(review)}
    data = json.dumps(record, indent=2, ensure_ascii=False).encode() + b"\n"
    atomic_write(review_path(session_folder, review.spec_version), data)


def load_review(session_folder: Path, spec_version: int | None) -> AcceptanceReview | None:
    """The saved review of a spec version's code; None if there is none; ReviewUnreadable."""
    path = review_path(session_folder, spec_version)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ReviewUnreadable(path, error.strerror or str(error)) from error
    try:
        return _decode(json.loads(data))
    except (ValueError, KeyError, TypeError) as error:
        raise ReviewUnreadable(path, str(error)) from error


def load_reviews(session_folder: Path) -> tuple[list[AcceptanceReview], list[str]]:
    """Every readable review (the unversioned one first, then by spec version), and a warning
    for each file that was skipped."""
    reviews: list[AcceptanceReview] = []
    warnings: list[str] = []
    folder = session_folder / ACCEPTANCE_DIR
    names = sorted(folder.glob("v[0-9]*.json")) if folder.is_dir() else []
    versions: list[int | None] = [int(p.stem[1:]) for p in names if p.stem[1:].isdigit()]
    if (folder / "unversioned.json").is_file():
        versions.insert(0, None)
    for version in sorted(versions, key=lambda v: -1 if v is None else v):
        try:
            review = load_review(session_folder, version)
        except ReviewUnreadable as error:
            warnings.append(f"Skipped: {error}")
        else:
            if review is not None:
                reviews.append(review)
    return reviews, warnings


def latest_review(session_folder: Path) -> AcceptanceReview | None:
    """The review made last (by `created`), skipping unreadable files; None if there is none."""
    reviews, _warnings = load_reviews(session_folder)
    return max(reviews, key=lambda r: r.created, default=None)


def overrule(
    session_folder: Path,
    review: AcceptanceReview,
    index: int,
    verdict: Verdict | None,
    reason: str = "",
) -> AcceptanceReview:
    """The review with item `index` judged by hand (None clears it), saved; OSError if it
    cannot be written (then nothing changed)."""
    verdicts = list(review.verdicts)
    reason = "" if verdict is None else reason
    verdicts[index] = replace(verdicts[index], by_hand=verdict, by_hand_reason=reason)
    changed = replace(review, verdicts=verdicts)
    save_review(session_folder, changed)
    return changed


def carry_overrules(old: AcceptanceReview | None, new: AcceptanceReview) -> AcceptanceReview:
    """`new` with the by-hand verdicts of `old` on items whose text is unchanged (for a review
    run again for the same spec version)."""
    if old is None:
        return new
    kept: dict[str, list[ItemVerdict]] = {}
    for verdict in old.verdicts:
        if verdict.by_hand is not None:
            kept.setdefault(verdict.item, []).append(verdict)
    verdicts = []
    for verdict in new.verdicts:
        if verdict.by_hand is None and kept.get(verdict.item):
            hand = kept[verdict.item].pop(0)
            verdict = replace(verdict, by_hand=hand.by_hand, by_hand_reason=hand.by_hand_reason)
        verdicts.append(verdict)
    return replace(new, verdicts=verdicts)


def verdict_note(review: AcceptanceReview, index: int) -> str:
    """The verdict on item `index` as text to promote into the spec."""
    verdict = review.verdicts[index]
    final = verdict.final
    version = "unversioned spec" if review.spec_version is None else f"spec v{review.spec_version}"
    head = f"Acceptance ({version}): {VERDICT_GLYPHS[final]} {VERDICT_LABELS[final]} — "
    head += verdict.item
    if verdict.by_hand is not None:
        head += f" ({hand_label(verdict)})"
    lines = [head, f"Reason: {verdict.reason or 'none given'}"]
    if verdict.pointer:
        lines[1] += f" ({verdict.pointer}{', unverified' if verdict.pointer_unverified else ''})"
    if verdict.by_hand_reason:
        lines.append(f"Overruled because: {verdict.by_hand_reason}")
    return "\n".join(lines)


def hand_label(verdict: ItemVerdict) -> str:
    """How a by-hand verdict reads: "overruled by hand: met; the model said not met"."""
    if verdict.by_hand is None:
        return ""
    if verdict.by_hand == verdict.verdict:
        return "confirmed by hand"
    said = VERDICT_LABELS[verdict.verdict]
    return f"overruled by hand: {VERDICT_LABELS[verdict.by_hand]}; the model said {said}"


_STR, _NONE = (str,), (type(None),)
_REVIEW_TYPES: dict[str, tuple[type, ...]] = dict(
    spec_version=(int, type(None)), apply_id=_STR + _NONE, check_run_id=_STR + _NONE, model=_STR,
    created=_STR, verdicts=(list,), error=_STR
)  # fmt: skip
_ITEM_TYPES: dict[str, tuple[type, ...]] = dict(
    item=_STR, line=(int,), verdict=_STR, reason=_STR, pointer=_STR, pointer_in_diff=(bool,),
    by_hand=_STR + _NONE, by_hand_reason=_STR
)  # fmt: skip


def _decode(raw: Any) -> AcceptanceReview:
    """The review in a parsed JSON file; ValueError, KeyError or TypeError if malformed."""
    if not isinstance(raw, dict) or raw.pop("version", None) != REVIEW_VERSION:
        raise ValueError(f"not a version {REVIEW_VERSION} acceptance review")
    record = checked_record(raw, _REVIEW_TYPES)
    verdicts = []
    for item in record.pop("verdicts"):
        fields = checked_record(item, _ITEM_TYPES)
        for key in ("verdict", "by_hand"):
            if fields.get(key) is not None and fields[key] not in VERDICT_LABELS:
                raise ValueError(f"unknown {key} {fields[key]!r}")
        verdicts.append(ItemVerdict(**fields))
    return AcceptanceReview(verdicts=verdicts, **record)
