"""The core never imports textual: it must work (and be testable) without the UI."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import workbench

PACKAGE = Path(workbench.__file__).parent
UI_FOLDERS = {"screens", "widgets"}
UI_MODULES = {"app.py", "commands.py", "keys.py", "themes.py", "__main__.py"}


def core_modules() -> list[str]:
    """Every module of the package outside the UI, found on disk so that none is forgotten."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if UI_FOLDERS & set(relative.parts[:-1]) or str(relative) in UI_MODULES:
            continue
        parts = ["workbench", *relative.with_suffix("").parts]
        found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


BLOCKER = textwrap.dedent(
    """
    import importlib, sys

    class BlockTextual:
        def find_spec(self, name, path=None, target=None):
            if name == "textual" or name.startswith("textual."):
                raise ImportError(f"core module imported {name}")
            return None

    sys.meta_path.insert(0, BlockTextual())
    sys.modules["textual"] = None  # also fail a plain `import textual` from a cached finder
    for module in sys.argv[1:]:
        importlib.import_module(module)
    # Exercise the lazy import in remember_theme too.
    from workbench.config_file import remember_theme
    import pathlib, tempfile
    remember_theme("x", pathlib.Path(tempfile.mkdtemp()) / "config.toml")
    print("ok")
    """
)


def run_blocked(*modules: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER, *modules], capture_output=True, text=True, timeout=60
    )


def test_core_modules_import_with_textual_blocked() -> None:
    result = run_blocked(*core_modules())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_walk_finds_the_core_and_skips_the_ui() -> None:
    modules = core_modules()
    for core in ["workbench", "workbench.config", "workbench.session.store", "workbench.project"]:
        assert core in modules
    for ui in ["workbench.app", "workbench.keys", "workbench.screens.main", "workbench.widgets"]:
        assert ui not in modules


def test_the_import_contract_covers_every_core_module() -> None:
    # The contract in pyproject.toml lists the core by hand: a new module must be added there.
    config = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == "The core never imports textual or the UI"]
    listed = contract["source_modules"]
    missing = [
        module
        for module in core_modules()
        if module != "workbench"
        and not any(module == name or module.startswith(name + ".") for name in listed)
    ]
    assert not missing, f"add to source_modules in pyproject.toml: {missing}"


def test_the_blocker_really_blocks_textual() -> None:
    # If this passed, the test above would prove nothing.
    result = run_blocked("textual.app")
    assert result.returncode != 0
    assert "textual" in result.stderr
