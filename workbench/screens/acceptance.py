"""The acceptance review: each acceptance item with the fast model's verdict, overruled by hand.

The modal renders one saved `AcceptanceReview` (core) and turns keys into its verbs: an
overrule is saved at once by the core, and a failure to save is a notification, never a crash.
Every piece of model text is shown as text (`Content`), never read as markup.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from workbench.checks.verdicts import (
    VERDICT_GLYPHS,
    VERDICT_LABELS,
    AcceptanceReview,
    ItemVerdict,
    Verdict,
    hand_label,
    overrule,
    verdict_note,
)
from workbench.screens.framed_modal import FramedModal
from workbench.widgets.diff_rows import clean

GUTTER = 14
"""Cells before an item's text: its glyph and verdict; the lines under it start there too."""
_GLYPH_STYLES: dict[Verdict, str] = {
    "met": "bold $text-success",
    "not_met": "bold $text-error",
    "cannot_tell": "bold $text-warning",
}


def review_title(review: AcceptanceReview) -> str:
    """ "Acceptance · spec v3 · 2 met · 1 not met · 0 cannot tell"."""
    version = "unversioned spec" if review.spec_version is None else f"spec v{review.spec_version}"
    return f"Acceptance · {version} · {review.summary()}"


def one_line(text: str) -> str:
    """Text safe to show on one line: no escape codes, its whitespace runs made one space."""
    return " ".join(clean(text).split())


def review_source(review: AcceptanceReview) -> str:
    """Who judged what: the model, the apply and the check run."""
    applied = f"apply {review.apply_id}" if review.apply_id else "no apply recorded"
    checks = f"check run {review.check_run_id}" if review.check_run_id else "no checks run"
    return f"Judged by {one_line(review.model)} · {applied} · {checks}"


def verdict_prompt(verdict: ItemVerdict) -> Content:
    """An item's row: its glyph and text, then the reason, the pointer and any overrule."""
    final = verdict.final
    glyph = (f"{VERDICT_GLYPHS[final]} {VERDICT_LABELS[final]}", _GLYPH_STYLES[final])
    indent = " " * GUTTER
    parts: list[str | tuple[str, str]] = [glyph, " " * (GUTTER - len(glyph[0]))]
    parts += [one_line(verdict.item), "\n", indent]
    parts.append((one_line(verdict.reason) or "no reason given", "$foreground-muted"))
    if verdict.pointer:
        parts += ["  ", (one_line(verdict.pointer), "$foreground-muted italic")]
        if verdict.pointer_unverified:
            parts += [" ", ("unverified", "$text-warning")]
    if verdict.by_hand is not None:
        parts += ["\n", indent, (hand_label(verdict), "$text-primary")]
        if verdict.by_hand_reason:
            parts += [" · ", (one_line(verdict.by_hand_reason), "$foreground-muted")]
    return Content.assemble(*parts)


class Hanging(Visual):
    """Content whose long lines wrap under their text, not under the gutter in front of it."""

    def __init__(self, content: Content, gutter: int) -> None:
        self.content = content
        self.gutter = gutter

    def wrapped(self, width: int) -> Content:
        """The content with its lines wrapped to `width` cells, each under its own text."""
        room = max(8, width - self.gutter)
        lines = []
        for line in self.content.split("\n"):
            head, text = line[: self.gutter], line[self.gutter :]
            for number, part in enumerate(text.wrap(room) or [Content()]):
                lines.append((head if number == 0 else Content(" " * self.gutter)) + part)
        return Content("\n").join(lines)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.wrapped(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.wrapped(width).get_height(rules, width)


_KEYS = [
    # key, action, footer label, id (after "acceptance."), tooltip
    ("m", "judge('met')", "Met", "met", "Mark the item met, by hand (saved at once)"),
    ("n", "judge('not_met')", "Not met", "not_met", "Mark the item not met, by hand"),
    ("c", "judge('cannot_tell')", "Can't tell", "cannot_tell", "Mark the item cannot tell"),
    ("x", "clear", "Clear", "clear", "Drop your overrule: the model's verdict counts again"),
    ("p", "promote", "Promote", "promote", "Put this verdict and its reason into the spec"),
    ("j", "step(1)", "Next", "next", "The next item"),
    ("k", "step(-1)", "Prev", "previous", "The previous item"),
    ("escape", "close", "Close", "close", "Back to the workbench"),
]


class AcceptanceModal(FramedModal[str | None]):
    """The checklist of one acceptance review; m/n/c overrule the highlighted item by hand.

    Dismissed with the promotable note of the highlighted item (`p`), or None.
    """

    DEFAULT_CSS = """
    AcceptanceModal {
        & .acceptance-title { text-style: bold; }
        & .acceptance-source { color: $text-muted; }
        & .acceptance-error { color: $text-warning; margin: 1 0 0 0; }
        & OptionList, & OptionList:focus { height: 1fr; border: none; margin: 1 0 0 0; }
    }
    """

    BINDINGS = [Binding(k, a, d, tooltip=t, id=f"acceptance.{i}") for k, a, d, i, t in _KEYS]

    def __init__(self, session_folder: Path, review: AcceptanceReview) -> None:
        super().__init__()
        self.session_folder = session_folder
        """Where the review is saved (its `acceptance/` folder)."""
        self.review = review
        """The review as last saved."""

    def compose(self) -> ComposeResult:
        review = self.review
        with Vertical():
            yield Static(Content(review_title(review)), classes="acceptance-title")
            yield Static(Content(review_source(review)), classes="acceptance-source")
            if review.error:
                yield Static(Content(f"⚠ {clean(review.error)}"), classes="acceptance-error")
            if review.verdicts:
                rows = [Option(Hanging(verdict_prompt(v), GUTTER)) for v in review.verdicts]
                # None draws a rule under the option before it (not an option of its own).
                yield OptionList(*[part for row in rows for part in (row, None)][:-1])
        yield Footer()

    def on_mount(self) -> None:
        if self.review.verdicts:
            options = self.query_one(OptionList)
            options.highlighted = 0
            options.focus()

    @property
    def index(self) -> int | None:
        """The highlighted item, if any."""
        if not self.review.verdicts:
            return None
        return self.query_one(OptionList).highlighted

    def _save(self, index: int, verdict: Verdict | None) -> None:
        """Overrule item `index` (None clears it), save, and redraw its row and the title."""
        try:
            self.review = overrule(self.session_folder, self.review, index, verdict)
        except OSError as error:
            self.notify(
                f"The verdict could not be saved: {error}", title="Not saved", severity="error"
            )
            return
        options = self.query_one(OptionList)
        prompt = Hanging(verdict_prompt(self.review.verdicts[index]), GUTTER)
        options.replace_option_prompt_at_index(index, prompt)
        self.query_one(".acceptance-title", Static).update(Content(review_title(self.review)))

    def action_judge(self, verdict: Verdict) -> None:
        """Judge the highlighted item by hand."""
        if (index := self.index) is not None:
            self._save(index, verdict)

    def action_clear(self) -> None:
        """Drop the overrule of the highlighted item."""
        index = self.index
        if index is not None and self.review.verdicts[index].by_hand is not None:
            self._save(index, None)

    def action_promote(self) -> None:
        """Close with the highlighted verdict as a note, for the caller to put in the spec."""
        if (index := self.index) is None:
            self.notify("There is no verdict to promote.", severity="warning")
            return
        self.dismiss(verdict_note(self.review, index))

    def action_step(self, step: int) -> None:
        """Highlight the next (or previous) item."""
        if self.review.verdicts:
            options = self.query_one(OptionList)
            options.action_cursor_down() if step > 0 else options.action_cursor_up()

    def action_close(self) -> None:
        """Close without promoting anything."""
        self.dismiss(None)
