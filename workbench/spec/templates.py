"""Spec templates: the built-in feature, bugfix and refactor shapes, and the user's own.

A user template is a markdown file in `<config dir>/templates/`; its name is the file's stem,
and it replaces a built-in template of the same name. `<title>` in a template is where the
task's title goes. Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from workbench import paths
from workbench.config import display_path
from workbench.spec.sections import parse_sections

TITLE_PLACEHOLDER = "<title>"
DEFAULT_TEMPLATE_NAME = "feature"

ACCEPTANCE_HINT = (
    "<!-- One checkable item per line; after an apply each gets a verdict (met, not met,\n"
    "cannot tell) from the fast model, e.g.:\n"
    "- `pytest -q` passes\n"
    '- bye("Ann") returns "Goodbye, Ann"\n'
    "- no new dependency -->\n"
)
"""Under a template's Acceptance heading: how to write items a check can judge."""

BUILT_IN_TEMPLATES: dict[str, str] = {
    # The workflow's shape: what was learned, what to do, the limits, how to tell it is done.
    "feature": (
        "# Task: <title>\n\n"
        "## Context (from exploration)\n\n"
        "## What I want\n\n"
        "## Constraints\n\n"
        "## Acceptance\n\n" + ACCEPTANCE_HINT
    ),
    "bugfix": (
        "# Task: <title>\n\n"
        "## Context (from exploration)\n\n"
        "## Steps to reproduce\n\n"
        "## Expected\n\n"
        "## Actual\n\n"
        "## Constraints\n\n"
        "## Acceptance\n\n" + ACCEPTANCE_HINT
    ),
    "refactor": (
        "# Task: <title>\n\n"
        "## Context (from exploration)\n\n"
        "## Current shape\n\n"
        "## Target shape\n\n"
        "## Constraints\n\n"
        "## Acceptance\n\n" + ACCEPTANCE_HINT
    ),
}
"""Name -> text of the templates that ship with workbench, in the order they are offered."""


@dataclass(frozen=True)
class Template:
    """A starting text for a new spec."""

    name: str
    """What the user picks it by: the built-in name or the file's stem."""
    text: str
    """The markdown, with `<title>` where the task's title goes."""
    source: Literal["built-in"] | Path
    """"built-in", or the user's file it was read from."""

    @property
    def outline(self) -> list[str]:
        """The titles of its sections below the title, e.g. ["Context", "What I want", ...]."""
        return [s.title for s in parse_sections(self.text) if s.level > 1]

    def render(self, title: str | None = None) -> str:
        """The template's text with the title filled in when one is given."""
        return fill_title(self.text, title)


def fill_title(text: str, title: str | None) -> str:
    """`text` with `<title>` replaced by `title` (made one line); unchanged without a title."""
    # A title is one line: anything after a newline would become body text under the heading.
    clean = " ".join(title.split()) if title else ""
    return text.replace(TITLE_PLACEHOLDER, clean) if clean else text


def user_templates_dir() -> Path:
    """Where the user's own templates live: `<config dir>/templates/*.md`."""
    return paths.config_dir() / "templates"


def _user_templates() -> tuple[list[Template], list[str]]:
    """The readable user templates, sorted by name, and a line per file that was skipped."""
    folder = user_templates_dir()
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix == ".md" and p.is_file())
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"Cannot read the templates folder {display_path(folder)} ({exc})"]
    found: list[Template] = []
    problems: list[str] = []
    for path in files:
        if path.name.startswith("."):
            continue  # editor swap files and the like
        try:
            text = path.read_bytes().decode("utf-8-sig")  # a BOM from some editors is dropped
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"Skipped the template {display_path(path)}: cannot read it ({exc})")
            continue
        if not text.strip():
            problems.append(f"Skipped the template {display_path(path)}: the file is empty")
            continue
        found.append(Template(path.stem, text, path))
    return found, problems


def list_templates() -> tuple[list[Template], list[str]]:
    """Every template (built-ins first, then the user's), and a problem line per skipped file."""
    templates = {
        name: Template(name, text, "built-in") for name, text in BUILT_IN_TEMPLATES.items()
    }
    users, problems = _user_templates()
    for template in users:
        templates[template.name] = template  # a user file replaces the built-in in its place
    return list(templates.values()), problems


def get_template(name: str) -> Template | None:
    """The template called `name` (a user file wins over a built-in); None if there is none."""
    return next((t for t in list_templates()[0] if t.name == name), None)


def template_for_new_session(name: str) -> tuple[Template, list[str]]:
    """The configured template for a new session, or "feature" with a problem saying why."""
    templates, problems = list_templates()
    chosen = next((t for t in templates if t.name == name), None)
    if chosen is None:
        known = ", ".join(t.name for t in templates)
        problems.append(
            f'No spec template called "{name}" (templates: {known}); using "feature". '
            f"Add {display_path(user_templates_dir() / (name + '.md'))} or pick another."
        )
        chosen = next(t for t in templates if t.name == DEFAULT_TEMPLATE_NAME)
    return chosen, problems


def is_blank_template(text: str) -> bool:
    """True when `text` is a template exactly as it comes, title not filled in: nothing to send."""
    return any(text == t.text for t in list_templates()[0])
