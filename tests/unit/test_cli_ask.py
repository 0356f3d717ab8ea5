"""`workbench ask` and `workbench send`: the core's conversation from the shell.

In-process through `main([...])` against the loopback fakes, with the real clients; each test
reads the session back from disk, as the app does when it reopens it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama, closed_port_url
from workbench import cli_reply
from workbench.__main__ import main
from workbench.session.model import Message
from workbench.session.store import SessionStore

SAVED = "saved in session "


def write_config(isolated_paths: Path, host: str, extra: str = "") -> None:
    """Tiers the fake serves: fast has an installed model, quality falls back to the cloud."""
    path = isolated_paths / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""checkpoint_interval_s = 0.05

[ollama]
host = "{host}"
connect_timeout_s = 2
warm_up = false

[anthropic]
max_retries = 0
{extra}

[tiers.fast]
provider = "ollama"
models = ["qwen2.5-coder:7b"]

[tiers.quality]
provider = "ollama"
models = ["qwen2.5-coder:14b"]
fallback = "cloud"

[tiers.cloud]
provider = "anthropic"
models = ["claude-sonnet-5-5"]
""",
        encoding="utf-8",
    )


@pytest.fixture
def project(isolated_paths: Path) -> Path:
    folder = isolated_paths / "project"
    folder.mkdir()
    (folder / "app.py").write_text("def main():\n    pass\n", encoding="utf-8")
    return folder


@pytest.fixture
def ollama(fake_ollama: FakeOllama, isolated_paths: Path) -> FakeOllama:
    write_config(isolated_paths, fake_ollama.url)
    fake_ollama.reply = "Auth lives in src/auth."
    return fake_ollama


def session_id(err: str) -> str:
    """The session the command said it saved the turn in."""
    line = next(line for line in err.splitlines() if line.startswith(SAVED))
    return line.removeprefix(SAVED).split(";")[0]


def transcript(ref: str, pane: str = "explore") -> list[Message]:
    """The pane's messages as a reopened session reads them."""
    with SessionStore().open(ref, readonly=True) as session:
        messages, warnings = session.transcript(
            "explore" if pane == "explore" else "implement"
        ).load()
    assert not warnings
    return messages


def ask(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["ask", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_ask_prints_the_answer_and_saves_the_turn(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = ask(capsys, "where", "is", "auth?", "--project", str(project))
    assert code == 0, err
    assert out == "Auth lives in src/auth.\n"
    sid = session_id(err)
    assert f"reopen with: workbench open {sid}" in err
    prompt, reply = transcript(sid)
    assert (prompt.role, prompt.content, prompt.status) == ("user", "where is auth?", "done")
    assert (reply.content, reply.status, reply.model) == (
        "Auth lives in src/auth.",
        "done",
        "qwen2.5-coder:7b",
    )
    summary = SessionStore().list()[0]
    assert (summary.id, summary.project_dir, summary.explore_count) == (sid, project, 2)
    assert ollama.chat_requests()[0]["model"] == "qwen2.5-coder:7b"


def test_json_gives_one_event_per_line_and_never_the_key(
    ollama: FakeOllama,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-123")
    code, out, err = ask(capsys, "where is auth?", "--json", "--project", str(project))
    assert code == 0, err
    assert "sk-ant-secret-123" not in out + err
    events: list[dict[str, Any]] = [json.loads(line) for line in out.splitlines()]
    assert events[0]["type"] == "started" and events[-1]["type"] == "ended"
    assert events[0]["session"] == session_id(err) and events[0]["pane"] == "explore"
    assert "".join(e["text"] for e in events if e["type"] == "text") == "Auth lives in src/auth."
    end = events[-1]
    assert (end["status"], end["model"], end["stop_reason"], end["error"]) == (
        "answered",
        "qwen2.5-coder:7b",
        "stop",
        None,
    )
    assert end["usage"]["output_tokens"] > 0


def test_tool_steps_go_to_stderr_and_the_answer_alone_to_stdout(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.tool_script = [
        [{"name": "read_file", "arguments": {"path": "app.py"}}],
        "It defines `main`.",
    ]
    code, out, err = ask(capsys, "what is in app.py?", "--project", str(project))
    assert code == 0, err
    assert out == "It defines `main`.\n"
    assert "▸ read_file path=app.py" in err.splitlines()
    roles = [m.role for m in transcript(session_id(err))]
    assert roles == ["user", "tool", "assistant"]


def test_at_path_attaches_the_file(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = ask(capsys, "explain @app.py", "--project", str(project))
    assert code == 0, err
    assert "app.py" in err  # the attachment line
    sent = ollama.chat_requests()[0]["messages"][-1]["content"]
    assert "def main():" in sent


def test_model_named_with_m_answers(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = ask(capsys, "hello", "-m", "llama3.2:3b", "--project", str(project))
    assert code == 0, err
    assert [r["model"] for r in ollama.chat_requests()] == ["llama3.2:3b"]
    assert transcript(session_id(err))[-1].model == "llama3.2:3b"


def test_session_and_continue_ask_in_the_same_session(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = ask(capsys, "first", "--project", str(project))
    sid = session_id(err)
    code, _out, err = ask(capsys, "second", "-c", "--project", str(project))
    assert code == 0 and session_id(err) == sid
    code, _out, err = ask(capsys, "third", "--session", sid[:12])
    assert code == 0 and session_id(err) == sid
    prompts = [m.content for m in transcript(sid) if m.role == "user"]
    assert prompts == ["first", "second", "third"]
    # The earlier turns went with the last question.
    assert [m["role"] for m in ollama.chat_requests()[-1]["messages"]][-5:] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    other = project / "sub"
    other.mkdir()
    code, _out, err = ask(capsys, "fourth", "-c", "--project", str(other))
    assert code == 0
    assert f"No session about {other} to continue: starting a new one." in err
    assert session_id(err) != sid


def test_server_down_exits_1_and_keeps_the_question_not_sent(
    isolated_paths: Path, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = closed_port_url()
    write_config(isolated_paths, url)
    code, out, err = ask(capsys, "where is auth?", "--project", str(project))
    assert code == 1
    assert out == ""
    prompt, notice = transcript(session_id(err))
    assert (prompt.status, notice.role) == ("not_sent", "error")
    first_line = notice.content.splitlines()[0]
    assert f"workbench: {first_line}" in err  # the message the app shows
    assert url.split("//")[1] in err
    assert "r on it sends it again" in err


def test_a_reply_cut_at_the_token_limit_exits_0_with_a_note(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.done_reason = "length"
    code, out, err = ask(capsys, "hello", "--project", str(project))
    assert code == 0 and out == "Auth lives in src/auth.\n"
    assert "note: Cut at the token limit" in err


def test_a_locked_session_is_refused(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SessionStore().create(project, "# Task: x\n") as session:  # open "in the app"
        code, out, err = ask(capsys, "hello", "--session", session.id)
    assert code == 1 and out == ""
    assert f"session {session.id} is open in a running workbench (pid {os.getpid()})" in err
    assert not ollama.chat_requests()
    assert session.explore.load()[0] == []


def cloud_config(
    isolated_paths: Path,
    ollama: FakeOllama,
    anthropic: FakeAnthropic,
    monkeypatch: pytest.MonkeyPatch,
    extra: str = "",
) -> None:
    write_config(isolated_paths, ollama.url, extra)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.url)
    ollama.models = ["qwen2.5-coder:7b"]  # the quality tier's model is not installed


def test_a_cloud_fallback_is_declined_where_nobody_can_consent(
    fake_ollama: FakeOllama,
    fake_anthropic: FakeAnthropic,
    isolated_paths: Path,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud_config(isolated_paths, fake_ollama, fake_anthropic, monkeypatch)
    code, out, err = ask(
        capsys, "implement it", "--pane", "implement", "--json", "--project", str(project)
    )
    assert code == 1
    assert not fake_anthropic.message_requests()
    assert "fallback_without_asking = true" in err
    assert "you chose" not in err
    events = [json.loads(line) for line in out.splitlines()]
    consent = next(e for e in events if e["type"] == "consent")
    assert (consent["model"], consent["answer"], consent["asked"]) == (
        "claude-sonnet-5-5",
        "no",
        False,
    )
    assert events[-1]["status"] == "not_sent"
    assert "fallback_without_asking = true" in events[-1]["error"]["message"]
    assert transcript(session_id(err), "implement")[0].status == "not_sent"


def test_a_cloud_fallback_allowed_by_the_config_is_sent(
    fake_ollama: FakeOllama,
    fake_anthropic: FakeAnthropic,
    isolated_paths: Path,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud_config(
        isolated_paths, fake_ollama, fake_anthropic, monkeypatch, "fallback_without_asking = true"
    )
    code, out, err = ask(capsys, "implement it", "--pane", "implement", "--project", str(project))
    assert code == 0, err
    assert len(fake_anthropic.message_requests()) == 1
    assert out == fake_anthropic.reply + ("" if fake_anthropic.reply.endswith("\n") else "\n")
    assert "Fallback:" in err
    reply = transcript(session_id(err), "implement")[-1]
    assert (reply.model, reply.fallback_from) == ("claude-sonnet-5-5", "qwen2.5-coder:14b")


def test_at_a_terminal_the_user_is_asked_and_always_is_remembered(
    fake_ollama: FakeOllama,
    fake_anthropic: FakeAnthropic,
    isolated_paths: Path,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud_config(isolated_paths, fake_ollama, fake_anthropic, monkeypatch)
    questions: list[str] = []

    async def typed(question: str) -> str:
        questions.append(question)
        return "a\n"

    monkeypatch.setattr(cli_reply, "terminal_can_answer", lambda: True)
    monkeypatch.setattr(cli_reply, "read_answer", typed)
    code, _out, err = ask(capsys, "implement it", "--pane", "implement", "--project", str(project))
    assert code == 0, err
    assert questions == [
        "Send to claude-sonnet-5-5 on Anthropic's servers? "
        "[y]es once / [a]lways this session / [N]o "
    ]
    assert "qwen2.5-coder:14b: not installed" in err
    sid = session_id(err)
    with SessionStore().open(sid, readonly=True) as session:
        assert session.meta.cloud_fallback_allowed
    # Allowed for the session: the next fallback in it is not asked again.
    code, _out, err = ask(capsys, "again", "--pane", "implement", "--session", sid)
    assert code == 0 and len(questions) == 1
    assert len(fake_anthropic.message_requests()) == 2


def test_ctrl_c_stops_the_reply_and_saves_what_arrived(
    fake_ollama: FakeOllama, isolated_paths: Path, project: Path
) -> None:
    write_config(isolated_paths, fake_ollama.url)
    fake_ollama.reply = "word " * 2000
    fake_ollama.tokens_per_s = 200
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "ask", "hello", "--project", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert proc.stdout is not None
    assert proc.stdout.read(10) == "word word "
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert rest.endswith("\n")  # the cut answer still ends its line
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "Stopped: the part that arrived is saved." in err
    prompt, reply = transcript(session_id(err))
    assert prompt.status == "done" and reply.status == "interrupted"
    assert reply.content.startswith("word word ") and len(reply.content) < len(fake_ollama.reply)


SPEC = (
    "# Task: Add refresh tokens\n\n## Context (from exploration)\n\nAuth lives in @app.py.\n\n"
    "## What I want\n\nRefresh tokens that expire after a day.\n\n"
    "## Acceptance\n\n- a refresh token older than a day is refused\n"
)


def spec_session(project: Path, spec: str = SPEC) -> str:
    """A session about `project` whose spec is written (closed again, as after the app)."""
    with SessionStore().create(project, spec) as session:
        return session.id


def test_send_without_yes_prints_the_review_and_sends_nothing(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.models.append("qwen2.5-coder:14b")
    sid = spec_session(project)
    assert main(["send", "--project", str(project)]) == 0  # the project's latest session
    out, err = capsys.readouterr()
    assert out.startswith(
        f"Send spec v1 to qwen2.5-coder:14b (quality)\nSession {sid}: Add refresh tokens\n"
    )
    names = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert names == ["System", "Spec", "Attached:", "Total"]
    assert "✓ No warnings." in out
    assert "Not sent: run `workbench send --yes` to send it." in out
    assert SAVED not in err
    assert not ollama.chat_requests()
    with SessionStore().open(sid, readonly=True) as session:
        assert session.versions.latest() is None
        assert session.implement.load()[0] == []


def test_send_review_names_the_fallback_that_will_answer(
    fake_ollama: FakeOllama,
    fake_anthropic: FakeAnthropic,
    isolated_paths: Path,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cloud_config(isolated_paths, fake_ollama, fake_anthropic, monkeypatch)
    sid = spec_session(project)
    assert main(["send", "--session", sid, "--json"]) == 0
    (review,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert review["type"] == "review" and review["model"] == "claude-sonnet-5-5"
    assert review["parts"][1] == {"name": "Spec", "tokens": review["parts"][1]["tokens"]}
    assert review["total_tokens"] == sum(p["tokens"] for p in review["parts"])
    assert any("qwen2.5-coder:14b (not installed)" in w["message"] for w in review["warnings"])
    assert not fake_anthropic.message_requests() and not fake_ollama.chat_requests()


def test_send_yes_sends_the_spec_and_prints_the_reply(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.models.append("qwen2.5-coder:14b")
    ollama.reply = "Here is the change."
    sid = spec_session(project)
    assert main(["send", "--session", sid, "--yes"]) == 0
    out, err = capsys.readouterr()
    assert out == "Here is the change.\n"  # the review went to stderr
    assert "Send spec v1 to qwen2.5-coder:14b" in err and SAVED + sid in err
    (request,) = ollama.chat_requests()
    assert request["model"] == "qwen2.5-coder:14b"
    sent = request["messages"][-1]["content"]
    assert "Refresh tokens that expire after a day." in sent and "def main():" in sent
    spec_turn, reply = transcript(sid, "implement")
    assert (spec_turn.kind, spec_turn.spec_version, spec_turn.status) == ("spec", 1, "done")
    assert (reply.content, reply.spec_version) == ("Here is the change.", 1)
    with SessionStore().open(sid, readonly=True) as session:
        assert session.versions.latest() == 1


def test_send_yes_json_gives_the_review_then_the_events(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ollama.models.append("qwen2.5-coder:14b")
    sid = spec_session(project)
    assert main(["send", "--session", sid, "--yes", "--json"]) == 0
    types = [json.loads(line)["type"] for line in capsys.readouterr().out.splitlines()]
    assert types[:2] == ["review", "started"] and types[-1] == "ended"
    assert "text" in types


def test_send_without_a_session_says_how_to_get_one(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["send", "--project", str(project), "--yes"]) == 1
    assert f"no session about {project} yet" in capsys.readouterr().err
    assert not ollama.chat_requests()


def test_send_refuses_an_empty_spec(
    ollama: FakeOllama, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = spec_session(project, "")
    assert main(["send", "--session", sid, "--yes"]) == 1
    assert "The spec is empty" in capsys.readouterr().err
    assert not ollama.chat_requests()


def test_the_consent_question_reads_one_line_without_blocking_the_loop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    read, write = os.pipe()
    os.write(write, b"y\nnot this one\n")
    with os.fdopen(read) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        assert asyncio.run(cli_reply.read_answer("Send? ")) == "y\n"
    os.close(write)
    assert capsys.readouterr().err == "Send? "
