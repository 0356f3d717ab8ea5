"""The starting text of a new task spec."""

from __future__ import annotations

DEFAULT_TEMPLATE = (
    "# Task: <title>\n\n## Context (from exploration)\n\n## What I want\n\n## Constraints\n"
)
"""Title, then the three parts the slow model needs: what was learned, what to do, the limits."""


def new_spec(title: str | None = None) -> str:
    """A new spec from the template, with the title filled in when one is given."""
    # A title is one line: anything after a newline would become body text under the heading.
    clean = " ".join(title.split()) if title else ""
    return DEFAULT_TEMPLATE.replace("<title>", clean) if clean else DEFAULT_TEMPLATE
