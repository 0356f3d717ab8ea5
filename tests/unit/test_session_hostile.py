"""Session folders that cannot be written or read (issue 13, items 5 and 6).

A session folder that cannot be written (a read-only file system, EROFS; no permission, EACCES)
opens read-only with the reason and the fix, never a traceback, and is left exactly as it was;
commands that must write in it refuse with the same reason. A session whose `session.json` is
damaged is listed as unreadable, named when `--continue` skips it, refused by `open` with the
file and the reason, and opened again by the exact command those messages give.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workbench import paths
from workbench.__main__ import main
from workbench.app import WorkbenchApp
from workbench.session.model import UserMessage
from workbench.session.store import (
    SessionNotWritableError,
    SessionReadOnlyError,
    SessionStore,
    SessionUnreadableError,
)
from workbench.spec.template import new_spec

ROOT = Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0
DROP_ROOT_PRIVILEGES = [
    "setpriv",
    "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable",
    "--inh-caps=-all",
]
"""As root, run a command that obeys file permissions (root is still its user, files stay its)."""


@dataclass
class Started:
    """What `workbench` would have shown: the sessions the app was started on."""

    sessions: list[tuple[str, str, list[str], bool]] = field(default_factory=list)
    """(id, title, warnings, read-only) of each session the app was started on."""


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[Started]:
    """`main()` builds the real app but records its session instead of running it."""
    seen = Started()

    def record(app: WorkbenchApp, **_options: object) -> None:
        session = app.session
        seen.sessions.append(
            (session.id, session.meta.title, list(session.warnings), session.readonly)
        )

    monkeypatch.setattr(WorkbenchApp, "run", record)
    yield seen


def make_session(project: Path, title: str, *, age_s: float = 0) -> Path:
    """A closed session with a spec and one Explore message; its files `age_s` old."""
    project.mkdir(parents=True, exist_ok=True)
    with SessionStore().create(project, new_spec(title)) as session:
        session.explore.append(UserMessage(id="m1", content="what is here?"))
        folder = session.folder
    if age_s:
        meta = json.loads((folder / "session.json").read_text())
        meta["updated"] = "2001-01-01T00:00:00+00:00"
        (folder / "session.json").write_text(json.dumps(meta))
        moment = time.time() - age_s
        for path in [folder, *folder.iterdir()]:
            os.utime(path, (moment, moment))
    return folder


def damage(folder: Path, content: bytes) -> None:
    """Replace the session's `session.json` with `content`, keeping it the newest session."""
    (folder / "session.json").write_bytes(content)
    later = time.time() + 60
    os.utime(folder / "session.json", (later, later))


def truncated(folder: Path) -> bytes:
    data = (folder / "session.json").read_bytes()
    return data[: len(data) // 2]


def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the folder with its bytes and modification time, and the folder's own
    time (which any file made or removed in it would change)."""
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    return files | {".": (b"", folder.stat().st_mtime_ns)}


# --- a damaged session.json (item 6) ---

DAMAGE = {
    "truncated": (truncated, "ends in the middle of its JSON (the file was cut short)"),
    "not JSON": (
        lambda _folder: b'{"id": "x",\n  "title": "y"\n  "created": ""}',
        "is not valid JSON (Expecting ',' delimiter at line 3, column 3)",
    ),
    "wrong types": (
        lambda _folder: json.dumps(
            {"id": 7, "title": ["x"], "created": "", "updated": "", "project_dir": "/p"}
        ).encode(),
        "lacks id, title (missing, or not text)",
    ),
    "a list": (lambda _folder: b"[1, 2, 3]\n", "holds a JSON list where an object belongs"),
    "binary garbage": (lambda _folder: bytes(range(256)) * 8, "is not text (it holds binary data)"),
    "zero bytes": (
        lambda _folder: b"\0" * 4096,
        "holds only zero bytes (a crash or a disk fault damaged it)",
    ),
    "empty": (lambda _folder: b"", "is empty"),
    "nested too deeply": (
        lambda _folder: b"[" * 100_000,
        "is not valid session data (its JSON is nested too deeply)",
    ),
}


@pytest.mark.parametrize("kind", DAMAGE)
def test_continue_names_the_damaged_session_it_skipped(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    older = make_session(tmp_path, "Older work", age_s=3600)
    newest = make_session(tmp_path, "Newest work")
    make_content, reason = DAMAGE[kind]
    damage(newest, make_content(newest))
    before = files_of(newest)

    assert main(["--continue"]) == 0

    err = capsys.readouterr().err
    assert "Traceback" not in err
    skipped = f"workbench: Skipped session {newest.name} ({newest}, last changed "
    assert skipped in err
    assert f"): session.json {reason}. Its spec and chats are still there." in err
    assert f"workbench open {newest.name} --repair" in err
    assert f"Opened the next most recent session instead: Older work ({older.name})." in err
    [(opened_id, _title, warnings, readonly)] = started.sessions
    assert opened_id == older.name and not readonly
    # The same words on screen (as a notice of the session), so the session has not vanished.
    assert len(warnings) == 1 and warnings[0].startswith(f"Skipped session {newest.name} (")
    assert reason in warnings[0] and f"workbench open {newest.name} --repair" in warnings[0]
    assert files_of(newest) == before  # skipped, not touched


def test_continue_with_only_a_damaged_session_starts_a_new_one_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    only = make_session(tmp_path, "Only work")
    damage(only, truncated(only))
    before = files_of(only)

    assert main(["--continue", "--project", str(tmp_path)]) == 0

    err = capsys.readouterr().err
    assert f"Skipped session {only.name} ({only}, last changed" in err
    assert "Started a new session instead." in err
    [(opened_id, _title, warnings, _readonly)] = started.sessions
    assert opened_id != only.name
    assert warnings and only.name in warnings[0]
    assert files_of(only) == before


def test_an_older_damaged_session_does_not_stop_continue(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    damaged = make_session(tmp_path, "Old and damaged", age_s=3600)
    (damaged / "session.json").write_bytes(b"{")
    old = time.time() - 3600
    os.utime(damaged / "session.json", (old, old))
    newest = make_session(tmp_path, "Newest work")

    assert main(["--continue"]) == 0

    assert "Skipped" not in capsys.readouterr().err
    assert started.sessions == [(newest.name, "Newest work", [], False)]


def test_the_command_continue_gives_opens_the_skipped_session(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    make_session(tmp_path, "Older work", age_s=3600)
    newest = make_session(tmp_path / "project", "Newest work")
    transcript = (newest / "explore.jsonl").read_bytes()
    damaged = (newest / "session.json").read_bytes()[:-40]  # cut short after project_dir
    damage(newest, damaged)
    assert main(["--continue"]) == 0
    err = capsys.readouterr().err
    [command] = re.findall(r"workbench open \S+ --repair\n", err)

    assert main(shlex.split(command)[1:]) == 0  # exactly what the message says to type

    err = capsys.readouterr().err
    assert f"workbench: rebuilt {newest / 'session.json'}: title 'Newest work', project " in err
    assert f"{tmp_path / 'project'} (from the damaged file)" in err
    assert f"The damaged file is kept as {newest / 'session.json.damaged'}." in err
    assert started.sessions[-1] == (newest.name, "Newest work", [], False)
    assert (newest / "session.json.damaged").read_bytes() == damaged
    assert (newest / "explore.jsonl").read_bytes() == transcript
    assert main(["sessions"]) == 0
    listed = capsys.readouterr().out
    assert "Unreadable" not in listed and newest.name in listed


def test_repair_asks_for_the_project_when_the_damaged_file_lost_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    folder = make_session(tmp_path / "project", "Lost project")
    damage(folder, b"\0" * 512)
    before = files_of(folder)

    assert main(["open", folder.name]) == 1
    assert f"workbench open {folder.name} --repair --project DIR" in capsys.readouterr().err
    assert main(["open", folder.name, "--repair"]) == 1

    err = capsys.readouterr().err
    assert "does not say which project the session is about" in err
    assert f"Name it: workbench open {folder.name} --repair --project DIR" in err
    assert files_of(folder) == before and started.sessions == []

    assert main(["open", folder.name, "--repair", "--project", str(tmp_path / "project")]) == 0
    assert started.sessions == [(folder.name, "Lost project", [], False)]
    assert (folder / "session.json.damaged").read_bytes() == b"\0" * 512
    meta = json.loads((folder / "session.json").read_text())
    assert meta["project_dir"] == str(tmp_path / "project") and meta["id"] == folder.name


def test_repair_leaves_a_healthy_session_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    folder = make_session(tmp_path, "Healthy")
    before = files_of(folder)
    assert main(["open", folder.name, "--repair"]) == 1
    assert f"Session {folder.name} is not damaged: nothing to repair" in capsys.readouterr().err
    assert files_of(folder) == before and started.sessions == []


def test_sessions_lists_a_damaged_session_as_unreadable_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_session(tmp_path, "Good work")
    bad = make_session(tmp_path, "Bad work")
    damage(bad, b'{"id": "x", "title": ')

    assert main(["sessions"]) == 0

    out = capsys.readouterr().out
    listed, _, unreadable = out.partition("Unreadable sessions")
    assert "Good work" in listed and bad.name not in listed
    assert bad.name in unreadable
    assert f"{bad / 'session.json'} ends in the middle of its JSON" in unreadable
    assert "A damaged one opens with: workbench open ID --repair" in unreadable


def test_sessions_with_only_damaged_ones_does_not_say_there_are_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = make_session(tmp_path, "Bad work")
    damage(bad, b"\xff\xfe garbage")
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "No readable sessions." in out and "No sessions yet" not in out
    assert f"{bad / 'session.json'} is not text" in out


def test_open_of_a_damaged_session_says_why_and_how_to_open_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    bad = make_session(tmp_path, "Bad work")
    damage(bad, b'{"version": 1, "id": "x"}')

    assert main(["open", bad.name]) == 1
    assert main(["open", str(bad)]) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count(f"workbench: Session {bad.name} cannot be opened: ") == 2
    assert f"{bad / 'session.json'} lacks title, created, updated, project_dir" in err
    assert f"Its spec and chats are still in {bad}." in err
    assert f"workbench open {bad.name} --repair" in err
    assert started.sessions == []


def test_a_session_from_a_newer_workbench_is_not_called_damaged(tmp_path: Path) -> None:
    folder = make_session(tmp_path, "From the future")
    meta = json.loads((folder / "session.json").read_text())
    (folder / "session.json").write_text(json.dumps(meta | {"version": 99}))
    with pytest.raises(SessionUnreadableError) as caught:
        SessionStore().open(folder.name)
    assert "newer workbench (format version 99). Its spec" in str(caught.value)
    assert "Update workbench to open it" in str(caught.value)
    assert "--repair" not in str(caught.value)


def test_a_named_pipe_as_session_json_does_not_hang_the_list(tmp_path: Path) -> None:
    folder = make_session(tmp_path, "Piped")
    (folder / "session.json").unlink()
    os.mkfifo(folder / "session.json")
    store = SessionStore()
    assert store.list() == []
    [unreadable] = store.unreadable
    assert "cannot be read (it is not a regular file)" in unreadable.error.problem


def test_a_missing_session_json_is_listed_as_unreadable(tmp_path: Path) -> None:
    folder = make_session(tmp_path, "Half made")
    (folder / "session.json").unlink()
    store = SessionStore()
    assert store.list() == []
    assert [u.error.problem for u in store.unreadable] == [f"{folder / 'session.json'} is missing"]


def test_optional_fields_of_the_wrong_type_are_forgotten_not_fatal(tmp_path: Path) -> None:
    folder = make_session(tmp_path, "Lenient")
    meta = json.loads((folder / "session.json").read_text())
    meta |= {"models": ["x"], "drafts": "half a question", "tools_enabled": "yes"}
    (folder / "session.json").write_text(json.dumps(meta))
    with SessionStore().open(folder.name) as session:
        assert session.meta.title == "Lenient"
        assert session.meta.models == {} and session.meta.drafts == {}
        assert session.meta.tools_enabled is None


# --- a session folder that cannot be written (item 5) ---

SHOW_INSTEAD_OF_RUN = """
import json, sys
from workbench.__main__ import main
from workbench.app import WorkbenchApp

def show(app, **_options):
    s = app.session
    notice = s.not_writable.view_notice() if s.not_writable else None
    print("APP " + json.dumps({"id": s.id, "readonly": s.readonly, "notice": notice}))

WorkbenchApp.run = show
sys.exit(main(sys.argv[1:]))
"""
"""`python -c` this with workbench's arguments: the real CLI, with the app's session printed
instead of the app run (there is no terminal)."""


@dataclass
class Ran:
    code: int
    out: str
    err: str
    app: dict[str, object] | None
    """What the app was started on (id, readonly, notice), if it was."""


def run_cli(argv: list[str], cwd: Path, *, prefix: list[str] | None = None) -> Ran:
    """Run `workbench argv` in a child process, behind `prefix` (a namespace, fewer rights)."""
    result = subprocess.run(
        [*(prefix or []), sys.executable, "-c", SHOW_INSTEAD_OF_RUN, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    shown = [line[4:] for line in result.stdout.splitlines() if line.startswith("APP ")]
    return Ran(
        result.returncode, result.stdout, result.stderr, json.loads(shown[0]) if shown else None
    )


def _read_only_mount() -> list[str] | None:
    """The command prefix that makes its first argument a read-only bind mount in a private
    mount namespace (gone with the process), if this machine allows it."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return None
    unshare = ["unshare", "-m"] if IS_ROOT else ["unshare", "-r", "-m"]
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"'
    probe = subprocess.run(
        [*unshare, "sh", "-c", script, "sh", "/tmp"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return None
    return [*unshare, "sh", "-c", f'{script} && shift && exec "$@"', "sh"]


READ_ONLY_MOUNT = _read_only_mount()
needs_read_only_mount = pytest.mark.skipif(
    READ_ONLY_MOUNT is None, reason="no private mount namespace here (unshare -m refused)"
)
needs_permissions = pytest.mark.skipif(
    IS_ROOT and shutil.which("setpriv") is None, reason="root, and no setpriv to drop its rights"
)


def obeying_permissions() -> list[str]:
    """The prefix under which file permissions apply (as root: without its override rights)."""
    return DROP_ROOT_PRIVILEGES if IS_ROOT else []


@needs_read_only_mount
@pytest.mark.parametrize("how", [["open", "{id}"], ["--continue"]], ids=["open", "continue"])
def test_a_session_on_a_read_only_file_system_opens_read_only(
    how: list[str], tmp_path: Path
) -> None:
    assert READ_ONLY_MOUNT is not None
    folder = make_session(tmp_path, "On a read-only disk")
    before = files_of(folder)
    argv = [part.format(id=folder.name) for part in how]

    ran = run_cli(argv, tmp_path, prefix=[*READ_ONLY_MOUNT, str(folder)])

    assert ran.code == 0, ran.err
    assert "Traceback" not in ran.err
    assert ran.app is not None and ran.app["id"] == folder.name and ran.app["readonly"]
    notice = str(ran.app["notice"])
    assert notice.startswith(
        f"Session {folder.name} is open read-only: its folder {folder} is on a read-only file "
        "system, so nothing can be saved there."
    )
    assert f"cp -r {folder} ~/{folder.name}\n  workbench open ~/{folder.name}" in notice
    assert f"Session {folder.name} was open read-only: nothing was saved." in ran.out
    assert files_of(folder) == before


@needs_read_only_mount
@pytest.mark.parametrize(
    "command",
    [
        ["ask", "--session", "{id}", "hello"],
        ["send", "--session", "{id}"],
        ["changes", "{id}"],
        ["apply", "{id}"],
        ["check", "{id}"],
    ],
    ids=lambda command: command[0],
)
def test_commands_that_write_refuse_a_session_on_a_read_only_file_system(
    command: list[str], tmp_path: Path
) -> None:
    assert READ_ONLY_MOUNT is not None
    project = tmp_path / "project"
    project.mkdir()
    folder = make_session(project, "On a read-only disk")
    before = files_of(folder)
    argv = [part.format(id=folder.name) for part in command]

    ran = run_cli(argv, project, prefix=[*READ_ONLY_MOUNT, str(folder)])

    assert ran.code == (2 if argv[0] == "check" else 1), ran.err
    assert "Traceback" not in ran.err
    assert (
        f"Session {folder.name} was not opened: its folder {folder} is on a read-only file "
        "system" in ran.err
    )
    assert f"cp -r {folder} ~/{folder.name}" in ran.err
    assert files_of(folder) == before


@needs_permissions
def test_a_session_folder_without_write_permission_opens_read_only(tmp_path: Path) -> None:
    folder = make_session(tmp_path, "No permission")
    # The lock file is left from the last time and writable: only new files are refused.
    (folder / ".lock").touch()
    before = files_of(folder)
    folder.chmod(0o555)
    try:
        opened = run_cli(["open", folder.name], tmp_path, prefix=obeying_permissions())
        continued = run_cli(["--continue"], tmp_path, prefix=obeying_permissions())
    finally:
        folder.chmod(0o755)
    for ran in (opened, continued):
        assert ran.code == 0 and "Traceback" not in ran.err, ran.err
        assert ran.app is not None and ran.app["readonly"] and ran.app["id"] == folder.name
        notice = str(ran.app["notice"])
        assert f"its folder {folder} is not writable (Permission denied)" in notice
        assert f"If it is yours, make it writable: chmod -R u+w {folder}" in notice
        assert f"cp -r {folder} ~/{folder.name}" in notice
        assert "was open read-only: nothing was saved." in ran.out
    folder.chmod(0o755)
    assert files_of(folder) == before  # not even the lock file was touched


@needs_permissions
def test_a_transcript_without_write_permission_opens_read_only(tmp_path: Path) -> None:
    folder = make_session(tmp_path, "Read-only chat")
    (folder / "explore.jsonl").chmod(0o444)
    ran = run_cli(["open", folder.name], tmp_path, prefix=obeying_permissions())
    assert ran.code == 0 and ran.app is not None and ran.app["readonly"], ran.err
    assert f"its folder {folder} is not writable (Permission denied)" in str(ran.app["notice"])
    asked = run_cli(["ask", "--session", folder.name, "hi"], tmp_path, prefix=obeying_permissions())
    assert asked.code == 1 and f"Session {folder.name} was not opened" in asked.err


def test_a_lock_path_that_cannot_be_opened_opens_read_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    # Runs as root too: no permission stops root, but a folder in the lock file's place does.
    folder = make_session(tmp_path, "Locked out")
    (folder / ".lock").unlink()
    (folder / ".lock").mkdir()

    assert main(["open", folder.name]) == 0
    assert main(["--continue"]) == 0

    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert started.sessions == [(folder.name, "Locked out", [], True)] * 2
    assert out.count(f"Session {folder.name} was open read-only: nothing was saved.") == 2
    with pytest.raises(SessionNotWritableError) as refused:  # for the commands that write
        SessionStore().open(folder.name)
    assert f"its folder {folder} cannot be written: Is a directory ({folder / '.lock'})" in str(
        refused.value
    )


def test_saving_in_a_read_only_session_is_an_os_error_that_says_why(tmp_path: Path) -> None:
    # Every save path already reports an OSError (a full disk): this one is reported alike.
    folder = make_session(tmp_path, "Viewed")
    before = files_of(folder)
    with (
        SessionStore().open(folder.name, readonly=True) as session,
        pytest.raises(OSError) as caught,
    ):
        session.write_spec("# Task: changed\n")
    assert isinstance(caught.value, SessionReadOnlyError)
    assert str(caught.value) == f"session {folder.name} is open read-only"
    assert files_of(folder) == before


def test_a_symlinked_lock_file_is_not_followed(tmp_path: Path) -> None:
    folder = make_session(tmp_path, "Linked")
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (folder / ".lock").unlink()
    (folder / ".lock").symlink_to(victim)
    with pytest.raises(SessionNotWritableError):
        SessionStore().open(folder.name)
    assert victim.read_text() == "keep me\n"


def test_a_sessions_folder_that_cannot_be_written_gives_a_message(
    isolated_paths: Path, capsys: pytest.CaptureFixture[str], started: Started
) -> None:
    paths.data_dir().mkdir(parents=True)
    paths.sessions_dir().write_text("not a folder\n")  # mkdir fails in it, as root too

    assert main(["--project", str(isolated_paths)]) == 1
    assert main(["--continue", "--project", str(isolated_paths)]) == 1

    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count(f"workbench: cannot create a session in {paths.sessions_dir()}") == 2
    assert "WORKBENCH_DATA_DIR" in err
    assert started.sessions == []
