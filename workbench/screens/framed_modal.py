"""The frame every workbench dialog shares: centred, bordered, on the surface colour."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class FramedModal(ModalScreen[ResultT]):
    """A modal whose content is one `Vertical`, framed; subclasses set its size."""

    DEFAULT_CSS = """
    FramedModal {
        align: center middle;
        & > Vertical {
            width: 90%;
            height: 90%;
            border: round $border;
            background: $surface;
            padding: 0 1;
        }
    }
    """
