"""No import cycles in the package: every dependency points one way.

Imports are read from the source with `ast`, so imports inside functions and under
`TYPE_CHECKING` count too: a cycle of type hints is still a two-way dependency. The rule is the
same as the project's cycle-checking hook, so the two report the same cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import workbench

PACKAGE = Path(workbench.__file__).parent


def module_name(root: Path, path: Path) -> str:
    """The dotted name of the module in `path`, for a package in the folder `root`."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, module: str) -> set[str]:
    """Every name `module` imports, absolute: modules, and `module.name` for `from` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = (
                    module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                )
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    files = {module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    return {
        module: {name for name in imported_names(path, module) if name in files} - {module}
        for module, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other (strongly connected components, Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = stack[stack.index(module) :]
            del stack[stack.index(module) :]
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    # A package's __init__ re-exporting its own submodule is not a design cycle.
    return [
        group for group in found if not (len(group) == 2 and group[1].startswith(group[0] + "."))
    ]


def test_the_package_has_no_import_cycles() -> None:
    found = cycles(import_graph(PACKAGE))
    assert not found, "import cycles:\n" + "\n".join(", ".join(group) for group in found)


def test_cycles_through_type_hints_and_function_bodies_are_found(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
        "b.py": "def f():\n    import pkg.a\n",
        "c.py": "import pkg.a\n",
        "sub/__init__.py": "from .d import D\n",
        "sub/d.py": "from pkg import sub\n",  # a package and its own module: not a cycle
        "sub/e.py": "from . import f\n",
        "sub/f.py": "from ..sub import e\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    assert cycles(import_graph(root)) == [["pkg.a", "pkg.b"], ["pkg.sub.e", "pkg.sub.f"]]
