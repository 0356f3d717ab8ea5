"""A quick picker of the spec's sections: where a promoted note goes, or where to jump."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from workbench.screens.framed_modal import FramedModal
from workbench.spec.sections import Section, parse_sections, split_lines


@dataclass(frozen=True)
class SectionInfo:
    """A section of the spec and how full it is."""

    section: Section
    words: int
    """Words in the section's own text (sub-sections not counted)."""

    @property
    def label(self) -> str:
        """The picker line: indented title and fill."""
        indent = "  " * (self.section.level - 1)
        fill = "empty" if not self.words else f"{self.words} word{'s' if self.words != 1 else ''}"
        return f"{indent}{self.section.title}  · {fill}"


def outline(spec: str) -> list[SectionInfo]:
    """Every heading of the spec with the amount of text under it."""
    lines = split_lines(spec)
    sections = parse_sections(spec)
    infos = []
    for index, section in enumerate(sections):
        end = sections[index + 1].line if index + 1 < len(sections) else len(lines)
        body = lines[section.line + 1 : end]
        words = sum(len(line.split()) for line in body if not line.startswith("<!--"))
        infos.append(SectionInfo(section, words))
    return infos


class SectionPickerModal(FramedModal[Section | None]):
    """Lists the spec's sections; Enter picks one, Escape cancels."""

    DEFAULT_CSS = """
    SectionPickerModal {
        & > Vertical {
            width: 64;
            height: auto;
            max-height: 80%;
        }
        & .picker-title { color: $text-muted; padding: 0 0 1 0; }
        & OptionList { height: auto; max-height: 24; border: none; }
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without choosing")]

    def __init__(self, spec: str, *, title: str, default: str | None = None) -> None:
        super().__init__()
        self.infos = outline(spec)
        self.prompt = title
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.prompt), classes="picker-title")
            yield OptionList(*[Option(Content(info.label)) for info in self.infos])

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        titles = [info.section.title for info in self.infos]
        if self.default in titles:
            options.highlighted = titles.index(self.default)
        elif titles:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.infos[event.option_index].section)

    def action_cancel(self) -> None:
        """Close without choosing."""
        self.dismiss(None)
