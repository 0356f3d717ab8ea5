"""The starting text of a new task spec: the built-in "feature" template."""

from __future__ import annotations

from workbench.spec.templates import BUILT_IN_TEMPLATES, fill_title

DEFAULT_TEMPLATE = BUILT_IN_TEMPLATES["feature"]
"""Title, then what was learned, what to do, the limits, and how to tell it is done."""


def new_spec(title: str | None = None) -> str:
    """A new spec from the feature template, with the title filled in when one is given."""
    return fill_title(DEFAULT_TEMPLATE, title)
