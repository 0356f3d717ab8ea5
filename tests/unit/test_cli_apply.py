"""`workbench changes`, `apply` and `undo` against a session whose Implement reply has edits.

The reply comes from the fake Ollama server through `workbench send --yes`, the fast model's
edit too (scripted per model), so the whole path runs with the real client.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.unit.test_cli_ask import spec_session, write_config
from workbench.__main__ import main

APP = "def main():\n    print('hello')\n"
LIB = "class Greeter:\n    def greet(self):\n        return 'hi'\n"
UTIL = "import os\n\n\ndef home():\n    return os.environ['HOME']\n"
REPLY = """Here are the changes.

app.py
```python
<<<<<<< SEARCH
    print('hello')
=======
    print('hello, world')
>>>>>>> REPLACE
```

lib.py
```python
<<<<<<< SEARCH
def greet(self):
    return 'hi'
=======
def greet(self):
    return 'hello'
>>>>>>> REPLACE
```

util.py
```python
<<<<<<< SEARCH
def home() -> str:
    return os.getenv('HOME')
=======
def home() -> str:
    return os.path.expanduser('~')
>>>>>>> REPLACE
```
"""
UTIL_BY_MODEL = "import os\n\n\ndef home():\n    return os.path.expanduser('~')\n"


@pytest.fixture
def project(isolated_paths: Path) -> Path:
    folder = isolated_paths / "project"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    (folder / "lib.py").write_text(LIB)
    (folder / "util.py").write_text(UTIL)
    os.chmod(folder / "util.py", 0o755)
    return folder


@pytest.fixture
def sent(fake_ollama: FakeOllama, isolated_paths: Path, project: Path) -> str:
    """A session whose spec was sent, the Implement reply holding three edits."""
    write_config(isolated_paths, fake_ollama.url)
    fake_ollama.models.append("qwen2.5-coder:14b")
    fake_ollama.replies = {
        "qwen2.5-coder:14b": REPLY,
        "qwen2.5-coder:7b": f"```python\n{UTIL_BY_MODEL}```\n",
    }
    sid = spec_session(project)
    assert main(["send", "--session", sid, "--yes"]) == 0
    return sid


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_changes_stages_the_reply_and_prints_each_hunk_with_how_it_was_made(
    sent: str, project: Path, fake_ollama: FakeOllama, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code, out, err = run(capsys, "changes", "--project", str(project))
    assert code == 0, err
    assert "--- a/app.py\n+++ b/app.py\n" in out
    assert "-    print('hello')\n+    print('hello, world')\n" in out
    assert "@@ -1,3 +1,3 @@ pending; tolerant\n" in out  # lib.py: indented differently
    assert "pending; model qwen2.5-coder:7b" in out  # util.py: no match, the fast model
    assert "+    return os.path.expanduser('~')\n" in out
    edit_request = fake_ollama.chat_requests()[-1]
    assert edit_request["model"] == "qwen2.5-coder:7b"
    assert "os.getenv('HOME')" in edit_request["messages"][-1]["content"]
    # Nothing was written into the project.
    assert (project / "app.py").read_text() == APP


def test_apply_yes_then_undo_restores_every_byte_and_mode(
    sent: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "apply", sent, "--yes")
    assert code == 0, err
    assert "Applied to 3 file(s)" in err
    assert (project / "app.py").read_text() == "def main():\n    print('hello, world')\n"
    assert (project / "lib.py").read_text() == LIB.replace("'hi'", "'hello'")
    assert (project / "util.py").read_text() == UTIL_BY_MODEL
    assert os.stat(project / "util.py").st_mode & 0o777 == 0o755
    code, _out, err = run(capsys, "undo", sent)
    assert code == 0, err
    assert (project / "app.py").read_text() == APP
    assert (project / "lib.py").read_text() == LIB
    assert (project / "util.py").read_text() == UTIL
    assert run(capsys, "undo", sent)[0] == 3  # nothing left to undo
    # The staged changes are back as they were before the apply: open again.
    code, out, _err = run(capsys, "changes", sent)
    assert code == 0 and "+    print('hello, world')" in out


def test_a_file_changed_on_disk_is_not_overwritten(
    sent: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "changes", sent)[0] == 0
    mine = "def main():\n    print('mine')\n"
    (project / "app.py").write_text(mine)  # the hunk's own line changed behind our back
    code, _out, err = run(capsys, "apply", sent, "--yes", "--file", "app.py")
    assert code == 4, err
    assert "app.py changed on disk since the diff was made" in err
    assert (project / "app.py").read_text() == mine
    code, out, _err = run(capsys, "changes", sent)
    assert "@@ cannot be applied: the file changed on disk where this change goes" in out


def test_apply_without_a_terminal_needs_yes(
    sent: str, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, "apply", sent)
    assert code == 2 and "pass --yes" in err
    assert (project / "app.py").read_text() == APP


def test_another_projects_session_is_never_picked(
    sent: str, isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = isolated_paths / "other"
    elsewhere.mkdir()
    code, _out, err = run(capsys, "apply", "--project", str(elsewhere), "--yes")
    assert code == 3
    assert f"no session about {elsewhere}" in err and sent in err
