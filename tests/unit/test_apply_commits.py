"""`[apply] commit`: one commit per apply with the fast model's message, the revert on undo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.unit.test_controller import controller_for
from workbench.apply.commits import clean_message

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
REPLY = "app.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("x = 1\n")
    (root / "notes.txt").write_text("mine\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "init")
    (root / "notes.txt").write_text("mine, staged\n")
    git(root, "add", "notes.txt")  # the user's own staged change: never committed by an apply
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "T")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "t@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "T")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "t@example.com")
    return root


async def test_apply_commits_only_its_paths_with_the_fast_model_s_message_and_undo_reverts(
    tmp_path: Path, fake_ollama: FakeOllama, repo: Path
) -> None:
    fake_ollama.replies = {
        "qwen2.5-coder:14b": REPLY,
        "qwen2.5-coder:7b": "```\nSet x to two\n\nThe spec asks for it.\n```",
    }
    fake_ollama.models.append("qwen2.5-coder:14b")
    async with controller_for(tmp_path, fake_ollama.url) as controller:
        controller.settings.apply.commit = True
        controller.project_root = controller.changes.staging.root = repo
        plan = await controller.prepare_send(controller.session.read_spec())
        await controller.commit_send(plan).wait()
        changes = await controller.changes.stage()
        controller.changes.staging.decide_file(changes.files[0].path, "accepted")
        result = await controller.changes.apply_changes()
        assert result.entry is not None and result.entry.commit
        assert result.message.startswith("Committed")
        prompt = fake_ollama.chat_requests()[-1]["messages"][-1]["content"]
        assert "Task: Refresh tokens" in prompt and "+x = 2" in prompt
        assert git(repo, "log", "-1", "--format=%B").strip() == (
            "Set x to two\n\nThe spec asks for it."
        )
        assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["app.py"]
        assert git(repo, "diff", "--cached", "--name-only").split() == ["notes.txt"]

        undone = await controller.changes.undo_apply()
        assert undone.entry.undo_commit and undone.message.startswith("Reverted")
        assert (repo / "app.py").read_text() == "x = 1\n"
        assert git(repo, "log", "-1", "--format=%s").strip() == 'Revert "Set x to two"'
        assert git(repo, "diff", "--cached", "--name-only").split() == ["notes.txt"]


async def test_outside_git_the_apply_is_written_and_says_it_was_not_committed(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.replies = {"qwen2.5-coder:14b": REPLY}
    fake_ollama.models.append("qwen2.5-coder:14b")
    async with controller_for(tmp_path, fake_ollama.url) as controller:
        controller.settings.apply.commit = True
        (controller.project_root / "app.py").write_text("x = 1\n")
        plan = await controller.prepare_send(controller.session.read_spec())
        await controller.commit_send(plan).wait()
        changes = await controller.changes.stage()
        controller.changes.staging.decide_file(changes.files[0].path, "accepted")
        result = await controller.changes.apply_changes()
        assert (controller.project_root / "app.py").read_text() == "x = 2\n"
        assert result.message == "Applied; not committed: the project is not a git repository."


def test_a_message_without_a_subject_falls_back_to_the_title() -> None:
    assert clean_message("```\n\n```", "Add tokens") == "workbench: Add tokens"
    assert clean_message('"Fix it"\nbody', "t") == "Fix it\nbody\n"
