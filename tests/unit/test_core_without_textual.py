"""The core never imports textual: it must work (and be testable) without the UI."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CORE_MODULES = [
    "workbench.config_reader",  # first: it must import on its own, before workbench.config
    "workbench.config",
    "workbench.config_file",
    "workbench.paths",
    "workbench.textclean",
    "workbench.session.store",
    "workbench.session.transcript",
    "workbench.spec.promote",
    "workbench.spec.sections",
    "workbench.spec.template",
    "workbench.spec.templates",
    "workbench.spec.versions",
    "workbench.spec.payload",
    "workbench.export",
    "workbench.providers.base",
    "workbench.providers.ollama",
    "workbench.providers.ollama_errors",
    "workbench.providers.ollama_wire",
    "workbench.providers.tool_loop",
    "workbench.doctor",
    "workbench.pull",
    "workbench.providers.fallback",
    "workbench.providers.chain",
    "workbench.model_catalog",
    "workbench.usage",
    "workbench.project",
    "workbench.project.files",
    "workbench.project.output",
    "workbench.project.attachments",
    "workbench.project.text_search",
    "workbench.project.schemas",
    "workbench.project.tools",
    "workbench.project.git",
]

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
    result = run_blocked(*CORE_MODULES)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_blocker_really_blocks_textual() -> None:
    # If this passed, the test above would prove nothing.
    result = run_blocked("textual.app")
    assert result.returncode != 0
    assert "textual" in result.stderr
