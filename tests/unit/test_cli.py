"""The `workbench` command's non-interactive parts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama, closed_port_url
from workbench.__main__ import discard_if_untouched, main
from workbench.config import display_path
from workbench.session.model import UserMessage
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
    session.explore.append(UserMessage(id="m1", content="hi"))
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
    chatted.explore.append(UserMessage(id="m1", content="hi"))
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
        session.explore.append(UserMessage(id="m1", content="where is auth?"))
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


def write_config(isolated_paths: Path, host: str) -> Path:
    """A config file pointing at `host`, with Ollama tiers the fake can serve."""
    path = isolated_paths / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""[ollama]
host = "{host}"
connect_timeout_s = 2

[tiers.fast]
provider = "ollama"
models = ["qwen2.5-coder:7b", "qwen2.5-coder:3b"]

[tiers.quality]
provider = "ollama"
models = ["llama3.2:3b"]
""",
        encoding="utf-8",
    )
    return path


def test_doctor_passes_with_warnings_only(
    fake_ollama: FakeOllama, isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(isolated_paths, fake_ollama.url)
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert f"✓ ollama: Ollama {fake_ollama.version} at {fake_ollama.url}" in out
    assert "! tier fast: qwen2.5-coder:3b is not installed" in out
    assert "! anthropic: no API key" in out
    assert out.rstrip().endswith("2 warnings.")


def test_doctor_fails_when_ollama_is_down(
    isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = closed_port_url()
    write_config(isolated_paths, url)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert f"✗ ollama: cannot reach Ollama at {url}" in out
    assert "fix: start it with `ollama serve`" in out


def test_doctor_fails_on_a_bad_config_file(
    fake_ollama: FakeOllama,
    isolated_paths: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_config(isolated_paths, fake_ollama.url)
    path.write_text("[ollama\nhost = 1\n", encoding="utf-8")
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)  # the file is unreadable: use the env
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ config: 1 problem" in out
    assert f"{display_path(path)}:1: invalid TOML" in out


def test_pull_tier_fast_pulls_what_is_missing_with_plain_output(
    fake_ollama: FakeOllama, isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(isolated_paths, fake_ollama.url)
    assert main(["pull", "--tier", "fast"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[:4] == [
        "qwen2.5-coder:7b: already installed",
        "Pulling qwen2.5-coder:3b",
        "  pulling manifest",
        lines[3],
    ]
    assert lines[3].startswith("  pulling ") and lines[3].endswith(" (4683.1 MB)")
    assert lines[-5:] == [
        "  writing manifest",
        "  success",
        "",
        "Pulled: qwen2.5-coder:3b",
        "Already installed: qwen2.5-coder:7b",
    ]
    assert "\r" not in out  # no redrawn bar when stdout is not a terminal
    assert len([line for line in lines if line.startswith("  pulling ")]) == 1 + len(
        fake_ollama.pull_layers
    )
    assert main(["pull", "--tier", "fast"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Already installed: qwen2.5-coder:7b, qwen2.5-coder:3b"
    )
    assert fake_ollama.pulls_started == ["qwen2.5-coder:3b"]


def test_pull_exits_1_with_the_reason_when_a_model_fails(
    fake_ollama: FakeOllama, isolated_paths: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(isolated_paths, fake_ollama.url)
    assert main(["pull", "nope:1b"]) == 1
    out = capsys.readouterr().out
    assert "Failed: nope:1b: The Ollama library has no model 'nope:1b'" in out
    assert main(["pull", "--tier", "cloud"]) == 2
    assert main(["pull", "--tier", "nope"]) == 2


def test_ctrl_c_cancels_a_pull_cleanly(fake_ollama: FakeOllama, isolated_paths: Path) -> None:
    write_config(isolated_paths, fake_ollama.url)
    fake_ollama.pull_steps = 10_000
    fake_ollama.pull_delay_s = 0.001
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "pull", "qwen2.5-coder:3b"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None
    seen = [proc.stdout.readline() for _ in range(3)]  # Pulling, manifest, first layer
    assert seen[2].startswith("  pulling ") and "manifest" not in seen[2]
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Cancelled: qwen2.5-coder:3b was not finished" in rest
    assert "Traceback" not in err
    assert fake_ollama.wait_until(lambda: fake_ollama.pulls_aborted)
    assert fake_ollama.pulls_aborted == ["qwen2.5-coder:3b"]
    assert "qwen2.5-coder:3b" not in fake_ollama.models


def test_keys_lists_every_binding_id_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines()[2:] if line.strip()}
    assert lines["spec.send"] == "ctrl+r"
    assert lines["message.retry"] == "r"
    assert lines["model.pick"] == "ctrl+l"
