"""The `workbench` command's non-interactive parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.__main__ import discard_if_untouched, main
from workbench.session.model import Message
from workbench.session.store import SessionStore
from workbench.spec.template import new_spec


def test_config_prints_the_file_path_and_the_tiers(
    isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert str(isolated_paths / "config" / "config.toml") in out
    assert "qwen2.5-coder:7b" in out and "claude-sonnet-5-5" in out


def test_config_never_prints_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-123")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "sk-ant-secret-123" not in out
    assert "set" in out


def test_sessions_lists_id_title_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions"]) == 0
    assert "No sessions yet" in capsys.readouterr().out
    session = SessionStore().create(Path("/tmp/demo"), "# Task: Add refresh tokens\n")
    session.explore.append(Message(id="m1", role="user", content="hi"))
    session.close()
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert session.meta.id in out and "Add refresh tokens" in out


def test_open_unknown_session_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["open", "no-such-session"]) == 1
    assert "no-such-session" in capsys.readouterr().err


def test_an_untouched_new_session_is_not_kept() -> None:
    store = SessionStore()
    blank = store.create(Path("/tmp/demo"), new_spec())
    assert discard_if_untouched(blank)
    assert not blank.folder.exists()
    edited = store.create(Path("/tmp/demo"), new_spec() + "\nsomething\n")
    assert not discard_if_untouched(edited)
    chatted = store.create(Path("/tmp/demo"), new_spec())
    chatted.explore.append(Message(id="m1", role="user", content="hi"))
    assert not discard_if_untouched(chatted)
    assert edited.folder.exists() and chatted.folder.exists()


def test_a_session_with_unsent_input_is_kept() -> None:
    session = SessionStore().create(Path("/tmp/demo"), new_spec())
    session.meta.drafts = {"explore": "half a question"}
    session.save_meta()
    assert not discard_if_untouched(session)
    assert session.folder.exists()


def test_export_prints_a_session_even_while_it_is_open_elsewhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = new_spec("Add refresh tokens").replace("## What I want\n", "## What I want\n\nDo it.\n")
    with SessionStore().create(Path("/tmp/demo"), spec) as session:  # holds the lock
        session.explore.append(Message(id="m1", role="user", content="where is auth?"))
        assert main(["export", session.meta.id[:12]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Add refresh tokens\n")
    assert f"```markdown\n{spec}```" in out
    assert "```\nwhere is auth?\n```" in out


def test_export_to_a_file_writes_it_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SessionStore().create(Path("/tmp/demo"), new_spec("Export me")) as session:
        pass
    target = tmp_path / "out" / "session.md"
    assert main(["export", session.meta.id, "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("# Export me\n")
    assert str(target) in capsys.readouterr().out
    assert sorted(p.name for p in target.parent.iterdir()) == ["session.md"]  # no temp file


def test_export_of_an_unknown_session_fails_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "no-such-session", "-o", str(tmp_path / "x.md")]) == 1
    assert "no-such-session" in capsys.readouterr().err
    assert not (tmp_path / "x.md").exists()
