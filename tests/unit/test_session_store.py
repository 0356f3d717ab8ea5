"""Session folders: layout, atomic saves, the lock, external specs and the session list."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench import paths
from workbench.session.model import AssistantMessage, ModelChoice, UserMessage
from workbench.session.store import (
    SessionError,
    SessionLockedError,
    SessionNotFoundError,
    SessionStore,
    format_sessions,
)
from workbench.spec.template import new_spec

CONTEXT_MD = "## Codebase Notes\n\n- auth lives in src/auth\n\n## Task\n\nAdd refresh tokens\n"


def test_create_lays_out_the_session_folder(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path / "proj", new_spec("Add refresh tokens")) as session:
        assert session.folder.parent == paths.sessions_dir()
        assert session.spec_path == session.folder / "context.md"
        assert session.read_spec().startswith("# Task: Add refresh tokens\n")
        assert session.meta.title == "Add refresh tokens"
        meta = json.loads((session.folder / "session.json").read_text())
        assert meta["version"] == 1 and meta["id"] == session.meta.id
        assert meta["project_dir"] == str((tmp_path / "proj").resolve())
        assert (session.folder / ".lock").read_text().strip() == str(os.getpid())


def test_write_spec_is_atomic_and_updates_title(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path, new_spec()) as session:
        assert session.meta.title == "Untitled"
        session.write_spec("# Task: Cache the user list\n\nbody\n")
        assert session.read_spec() == "# Task: Cache the user list\n\nbody\n"
        assert sorted(p.name for p in session.folder.iterdir()) == [
            ".lock",
            "context.md",
            "session.json",
        ]  # no temp files left behind
        assert json.loads((session.folder / "session.json").read_text())["title"] == (
            "Cache the user list"
        )


def test_model_choice_is_remembered(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path, new_spec()) as session:
        session.set_model("implement", ModelChoice("anthropic", "claude-sonnet-5-5"))
        session_id = session.meta.id
    with store.open(session_id) as again:
        assert again.meta.models["implement"] == ModelChoice("anthropic", "claude-sonnet-5-5")


def test_a_second_open_of_the_same_session_is_refused(tmp_path: Path) -> None:
    store = SessionStore()
    first = store.create(tmp_path, new_spec())
    with pytest.raises(SessionLockedError) as caught:
        store.open(first.meta.id)
    assert str(caught.value) == (
        f"Session {first.meta.id} is already open in another workbench (pid {os.getpid()}). "
        "Close that one first."
    )
    first.close()
    with store.open(first.meta.id) as second:  # free again once closed
        assert second.meta.id == first.meta.id


def test_lock_held_by_another_process_and_released_when_it_dies(tmp_path: Path) -> None:
    store = SessionStore()
    session = store.create(tmp_path, new_spec())
    session_id = session.meta.id
    session.close()
    child_code = textwrap.dedent(
        f"""
        import sys
        from workbench.session.store import SessionStore
        session = SessionStore().open({session_id!r})
        print("ready", flush=True)
        sys.stdin.read()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", child_code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        with pytest.raises(SessionLockedError, match=f"pid {child.pid}"):
            store.open(session_id)
        # A crash never leaves the session blocked: the kernel drops the lock.
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        with store.open(session_id) as reopened:
            assert reopened.meta.id == session_id
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_readonly_open_does_not_lock_and_cannot_write(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path, new_spec("Busy")) as session:
        viewer = store.open(session.meta.id, readonly=True)
        assert viewer.read_spec() == session.read_spec()
        with pytest.raises(SessionError):
            viewer.write_spec("# Task: overwritten\n")
        assert session.read_spec().startswith("# Task: Busy")


def test_external_context_md_is_edited_in_place_and_found_again(tmp_path: Path) -> None:
    project = tmp_path / "myproject"
    project.mkdir()
    spec_file = project / "context.md"
    spec_file.write_text(CONTEXT_MD)
    spec_file.chmod(0o640)
    store = SessionStore()
    with store.open(spec_file) as session:
        assert session.spec_path == spec_file.resolve()
        assert session.meta.project_dir == str(project.resolve())
        assert session.read_spec() == CONTEXT_MD
        session.write_spec(CONTEXT_MD + "\n- also: tokens expire in 7 days\n")
        session.explore.append(UserMessage(id="m1", content="hi"))
        session_id = session.meta.id
        assert not (session.folder / "context.md").exists()
    assert spec_file.read_text().endswith("tokens expire in 7 days\n")
    assert stat.S_IMODE(spec_file.stat().st_mode) == 0o640
    assert sorted(os.listdir(project)) == ["context.md"]  # no temp file next to the user's file
    with store.open(str(spec_file)) as again:
        assert again.meta.id == session_id
        assert again.explore.count() == 1
    assert len(store.list()) == 1


def test_open_by_id_prefix_and_folder(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path, new_spec()) as session:
        session_id, folder = session.meta.id, session.folder
    with store.open(session_id[:-2]) as by_prefix:
        assert by_prefix.meta.id == session_id
    with store.open(folder) as by_folder:
        assert by_folder.meta.id == session_id


def test_unknown_ref_says_how_to_find_sessions(tmp_path: Path) -> None:
    with pytest.raises(SessionNotFoundError, match="workbench sessions"):
        SessionStore().open("no-such-session")
    (tmp_path / "script.py").write_text("print()")
    with pytest.raises(SessionNotFoundError, match="not a markdown file"):
        SessionStore().open(tmp_path / "script.py")
    with pytest.raises(SessionNotFoundError, match="not a workbench session"):
        SessionStore().open(tmp_path)


def test_spec_reading_tolerates_missing_and_undecodable_files(tmp_path: Path) -> None:
    with SessionStore().create(tmp_path, new_spec()) as session:
        session.spec_path.unlink()
        assert session.read_spec() == ""
        session.spec_path.write_bytes(b"# Task: caf\xe9\n")
        assert session.read_spec() == "# Task: caf\ufffd\n"
        assert "not valid UTF-8" in session.warnings[0]


def test_list_is_newest_first_with_counts_and_last_opens_the_newest(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path / "a", new_spec("Older")) as older:
        older.explore.append(UserMessage(id="1", content="q"))
        older.explore.append(AssistantMessage(id="2", content="a"))
        older_id = older.meta.id
    with store.create(tmp_path / "b", new_spec("Newer")) as newer:
        newer.implement.append(UserMessage(id="3", content="spec"))
        newer_id = newer.meta.id
    os.utime(paths.sessions_dir() / older_id / "explore.jsonl", (1, 1))  # chatted long ago
    summaries = store.list()
    assert [s.id for s in summaries] == [newer_id, older_id]
    assert (summaries[1].explore_count, summaries[1].implement_count) == (2, 0)
    assert (summaries[0].explore_count, summaries[0].implement_count) == (0, 1)
    last = store.last()
    assert last is not None and last.meta.id == newer_id
    last.close()
    table = format_sessions(summaries)
    assert table.splitlines()[0].split() == [
        "ID",
        "UPDATED",
        "EXPLORE",
        "IMPLEMENT",
        "TITLE",
        "PROJECT",
    ]
    assert newer_id in table.splitlines()[1] and "Newer" in table.splitlines()[1]
    assert "Older" in table.splitlines()[2]


def test_chatting_makes_a_session_the_most_recent(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path, new_spec("First")) as first:
        first_id = first.meta.id
    with store.create(tmp_path, new_spec("Second")):
        pass
    with store.open(first_id) as first:
        first.explore.append(UserMessage(id="1", content="q"))
    os.utime(paths.sessions_dir() / first_id / "explore.jsonl", (4e9, 4e9))
    assert store.list()[0].id == first_id


def test_corrupt_session_json_is_listed_as_unreadable(tmp_path: Path) -> None:
    store = SessionStore()
    with store.create(tmp_path, new_spec("Good")) as good:
        good_id = good.meta.id
    bad = paths.sessions_dir() / "20260101T000000000-badbad"
    bad.mkdir()
    (bad / "session.json").write_text("{not json")
    summaries = store.list()
    assert [s.id for s in summaries] == [good_id]
    assert [u.id for u in store.unreadable] == ["20260101T000000000-badbad"]
    assert "not valid JSON" in store.unreadable[0].error.problem
    with pytest.raises(SessionError):
        store.open("20260101T000000000-badbad")


def test_store_root_follows_the_environment_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SessionStore()
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "elsewhere"))
    with store.create(tmp_path, new_spec()) as session:
        assert session.folder.parent == tmp_path / "elsewhere" / "sessions"
    assert SessionStore(tmp_path / "empty").list() == []
    assert format_sessions([]) == "No sessions yet.\n"
