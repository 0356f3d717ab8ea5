"""Theme files (TOML) loaded into Textual `Theme` objects: the app's own and the user's."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from workbench import paths

_COLOR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_OTHER_FIELDS = {"name", "dark", "luminosity_spread", "text_alpha", "variables"}


@dataclass(frozen=True)
class ThemeProblem:
    """A theme file that could not be loaded, and why."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def builtin_themes_dir() -> Path:
    """The `themes/` folder shipped with the app (inside the wheel, or the source checkout)."""
    here = Path(__file__).resolve().parent
    packaged = here / "themes"
    return packaged if packaged.is_dir() else here.parent / "themes"


def parse_theme(path: Path) -> Theme:
    """Read one theme file; raises ValueError with a readable reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"not valid TOML: {error}") from None
    unknown = set(data) - set(_COLOR_FIELDS) - _OTHER_FIELDS
    if unknown:
        raise ValueError(f"unknown key(s): {', '.join(sorted(unknown))}")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise ValueError("missing `name`")
    if "primary" not in data:
        raise ValueError("missing `primary` colour")
    for key in _COLOR_FIELDS:
        if key in data:
            _check_color(key, data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError("`[variables]` must map names to strings")
    try:
        return Theme(**data)
    except (TypeError, ValueError) as error:
        raise ValueError(str(error)) from None


def _check_color(key: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"`{key}` must be a colour string")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ValueError(f"`{key}` = {value!r} is not a colour") from None


def load_themes(*folders: Path) -> tuple[list[Theme], list[ThemeProblem]]:
    """Every `*.toml` theme in the shipped folder and the user's (or the given folders)."""
    if not folders:
        folders = (builtin_themes_dir(), paths.user_themes_dir())
    themes: list[Theme] = []
    problems: list[ThemeProblem] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                themes.append(parse_theme(path))
            except ValueError as error:
                problems.append(ThemeProblem(path, str(error)))
    return themes, problems
