"""The conversation lifecycle without a screen: every status, cancel, retry, fallback, consent.

Through the real clients against the loopback fakes; each test reads the transcript back from
disk, as a reopened session would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama, closed_port_url
from tests.unit.helpers import tier_settings
from workbench.chat.consent import ConsentPolicy
from workbench.chat.conversation import BusyError, Conversation, NotSavedError
from workbench.chat.events import (
    ConsentRequest,
    Ended,
    Notice,
    ReplyEvent,
    Started,
    Switched,
    Text,
    ToolStepped,
    TurnStatus,
)
from workbench.chat.history import build_history
from workbench.chat.reply import Reply
from workbench.config import ModelRef
from workbench.providers.base import ErrorKind
from workbench.providers.router import ProviderRouter
from workbench.session.model import AssistantMessage, Message, UserMessage
from workbench.session.transcript import Transcript

FAST = ModelRef("ollama", "qwen2.5-coder:7b", "fast")
QUALITY = ModelRef("ollama", "qwen2.5-coder:14b", "quality")


make_settings = tier_settings


@asynccontextmanager
async def conversation(
    tmp_path: Path,
    url: str,
    *,
    model: ModelRef = FAST,
    anthropic: FakeAnthropic | None = None,
    consent: ConsentPolicy | None = None,
    project: Path | None = None,
) -> AsyncIterator[Conversation]:
    router = ProviderRouter(make_settings(url, anthropic))
    pane = "explore" if model.tier == "fast" else "implement"
    conv = Conversation(
        pane,
        Transcript(tmp_path / f"{pane}.jsonl"),
        router,
        model,
        consent=consent,
        project_root=project,
        tools_on=False if project is None else None,
    )
    conv.load()
    try:
        yield conv
    finally:
        await conv.stop()
        await router.aclose()


async def events_of(reply: Reply) -> list[ReplyEvent]:
    return [event async for event in reply]


def reloaded(conv: Conversation) -> list[Message]:
    """The conversation as a reopened session sees it."""
    again = Conversation(conv.pane, Transcript(conv.transcript.path), conv.router, conv.model)
    again.load()
    return again.messages


def ended(events: list[ReplyEvent]) -> Ended:
    assert isinstance(events[0], Started)
    last = events[-1]
    assert isinstance(last, Ended)
    assert sum(isinstance(e, Ended) for e in events) == 1
    return last


async def test_an_answered_turn_is_saved_with_its_stop_reason(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = "Auth lives in src/auth."
    async with conversation(tmp_path, fake_ollama.url) as conv:
        events = await events_of(conv.send("where is auth?"))
        end = ended(events)
        assert end.status is TurnStatus.ANSWERED and end.error is None
        assert "".join(e.text for e in events if isinstance(e, Text)) == "Auth lives in src/auth."
        assert not conv.is_streaming
        prompt, reply = reloaded(conv)
        assert (prompt.role, prompt.status) == ("user", "done")
        assert (reply.content, reply.status, reply.stop_reason) == (
            "Auth lives in src/auth.",
            "done",
            "stop",
        )
        assert reply.output_tokens and reply.model == FAST.name


async def test_server_down_is_not_sent_retryable_and_left_out_of_history(
    tmp_path: Path,
) -> None:
    async with conversation(tmp_path, closed_port_url()) as conv:
        end = ended(await events_of(conv.send("where is auth?")))
        assert end.status is TurnStatus.NOT_SENT and end.status.retryable
        assert end.error is not None and end.error.kind is ErrorKind.UNREACHABLE
        assert end.reply is None and end.notice is not None
        assert "press r" in end.notice.content
        prompt, notice = reloaded(conv)
        assert prompt.status == "not_sent" and notice.role == "error"
        assert conv.waiting_prompts() == [conv.messages[0]]
        assert build_history(conv.messages, "explore") == []


async def test_a_missing_model_then_installed_is_retried_in_place(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.models = ["llama3.2:3b"]
    async with conversation(tmp_path, fake_ollama.url) as conv:
        end = ended(await events_of(conv.send("hello")))
        assert end.status is TurnStatus.NOT_SENT
        assert end.error is not None and end.error.kind is ErrorKind.MODEL_MISSING
        fake_ollama.models.append(FAST.name)
        prompt = conv.retry(conv.messages[0])
        assert prompt is conv.messages[0]  # nothing but the notice after it: in place
        end = ended(await events_of(conv.reply(prompt)))
        assert end.status is TurnStatus.ANSWERED
        statuses = [(m.role, m.status) for m in reloaded(conv)]
        assert statuses == [("user", "done"), ("error", "done"), ("assistant", "done")]
        history = build_history(conv.messages, "explore")
        assert [m.role for m in history] == ["user", "assistant"]


async def test_an_error_after_text_fails_the_turn_and_keeps_the_text(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = "one two three four five six"
    fake_ollama.error_after = 3
    async with conversation(tmp_path, fake_ollama.url) as conv:
        end = ended(await events_of(conv.send("hello")))
        assert end.status is TurnStatus.FAILED and end.status.retryable
        assert end.reply is not None and end.reply.content == "one two thre"
        prompt, reply, notice = reloaded(conv)
        assert (prompt.status, reply.status, notice.role) == ("failed", "failed", "error")
        assert "part that arrived is kept" in (reply.note or "")
        assert build_history(conv.messages, "explore") == []
        # Retried as a new turn (a reply stands after it); the old one is marked retried.
        fake_ollama.error_after = None
        copy = conv.retry(conv.messages[0])
        assert copy is not conv.messages[0] and copy.content == "hello"
        assert ended(await events_of(conv.reply(copy))).status is TurnStatus.ANSWERED
        statuses = [m.status for m in reloaded(conv) if m.role == "user"]
        assert statuses == ["retried", "done"]
        assert [m.role for m in build_history(conv.messages, "explore")] == ["user", "assistant"]


async def test_an_unreadable_stream_fails_the_turn_retryably(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.malformed_after = 0
    async with conversation(tmp_path, fake_ollama.url) as conv:
        end = ended(await events_of(conv.send("hello")))
        assert end.status is TurnStatus.FAILED and end.status.retryable
        assert end.error is not None and end.error.kind is ErrorKind.BAD_REPLY
        assert "press r" in (end.notice.content if end.notice else "")
        fake_ollama.malformed_after = None
        copy = conv.retry(conv.messages[0])
        assert ended(await events_of(conv.reply(copy))).status is TurnStatus.ANSWERED


async def test_an_error_object_in_a_200_stream_before_any_text_is_failed(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    # llama.cpp behind a wrapper: a prompt over the context fails inside the HTTP 200 stream.
    fake_ollama.error_after = 0
    fake_ollama.error_message = "the request exceeds the available context size"
    async with conversation(tmp_path, fake_ollama.url) as conv:
        end = ended(await events_of(conv.send("hello")))
        assert end.status is TurnStatus.FAILED and end.status.retryable and end.reply is None
        assert end.error is not None and "context size" in end.error.message
        assert reloaded(conv)[0].status == "failed"


async def test_a_server_error_before_text_fails_the_turn(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.status_override = 500
    async with conversation(tmp_path, fake_ollama.url) as conv:
        end = ended(await events_of(conv.send("hello")))
        assert end.status is TurnStatus.FAILED and end.reply is None
        assert reloaded(conv)[0].status == "failed"


async def test_an_empty_reply_is_failed_and_says_why(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = ""
    async with conversation(tmp_path, fake_ollama.url) as conv:
        end = ended(await events_of(conv.send("hello")))
        assert end.status is TurnStatus.FAILED
        assert end.error is not None and end.error.kind is ErrorKind.EMPTY_REPLY
        assert "empty reply" in end.error.message
        prompt, notice = reloaded(conv)
        assert prompt.status == "failed" and notice.error_kind == "empty_reply"


async def test_an_empty_reply_to_an_oversized_request_names_the_context(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = ""
    async with conversation(tmp_path, fake_ollama.url) as conv:
        conv.settings.tiers["fast"].num_ctx = 100
        events = await events_of(conv.send("word " * 400))
        assert any(isinstance(e, Notice) and "num_ctx" in e.text for e in events)
        end = ended(events)
        assert end.error is not None and "context was full" in end.error.message


async def test_a_reply_cut_at_the_token_limit_is_cut(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.done_reason = "length"
    async with conversation(tmp_path, fake_ollama.url) as conv:
        conv.settings.tiers["fast"].max_tokens = 64
        end = ended(await events_of(conv.send("hello")))
        assert end.status is TurnStatus.CUT and end.stop_reason == "length"
        prompt, reply = reloaded(conv)
        assert (prompt.status, reply.status, reply.stop_reason) == ("done", "cut", "length")
        assert "token limit (64 tokens)" in (reply.note or "")
        # A cut reply is part of the conversation: it can be continued.
        assert [m.role for m in build_history(conv.messages, "explore")] == ["user", "assistant"]


async def test_escape_mid_reply_keeps_the_partial_text(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = "word " * 200
    fake_ollama.tokens_per_s = 100
    async with conversation(tmp_path, fake_ollama.url) as conv:
        reply = conv.send("hello")
        events: list[ReplyEvent] = []
        async for event in reply:
            events.append(event)
            if isinstance(event, Text) and sum(isinstance(e, Text) for e in events) == 3:
                assert conv.cancel("Stopped by you")
        end = ended(events)
        assert end.status is TurnStatus.INTERRUPTED and end.error is None
        prompt, saved = reloaded(conv)
        assert prompt.status == "done" and saved.status == "interrupted"
        assert saved.content.startswith("word word") and "Stopped by you" in (saved.note or "")


async def cancel_after(
    folder: Path, url: str, wait: Callable[[], Awaitable[object]]
) -> tuple[TurnStatus, bool]:
    """Send, let `wait()` pass, cancel; check the turn ended cleanly. (status, ended by itself)"""
    async with conversation(folder, url) as conv:
        reply = conv.send("hello")
        await wait()
        finished = reply.outcome is not None
        reply.cancel("Stopped by you")
        end = await asyncio.wait_for(reply.wait(), 10)
        events = await asyncio.wait_for(events_of(reply), 10)
        assert events[-1] is end and not conv.is_streaming
        assert end.status in (TurnStatus.ANSWERED, TurnStatus.INTERRUPTED, TurnStatus.NOT_SENT)
        saved = reloaded(conv)
        prompt = saved[0]
        if end.status is TurnStatus.NOT_SENT:
            assert prompt.status == "not_sent" and len(saved) == 1
            assert build_history(saved, "explore") == []
            assert conv.retry(conv.messages[0]) is conv.messages[0]
        else:
            assert prompt.status == "done"
            kept = "done" if end.status is TurnStatus.ANSWERED else "interrupted"
            assert saved[1].status == kept
            assert [m.role for m in build_history(saved, "explore")] == ["user", "assistant"]
        return end.status, finished


async def test_cancel_at_every_await_point_leaves_a_clean_turn(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    """Bug: Escape right after Enter left the reply streaming forever and the prompt answered.

    First at each of the first loop steps (the request being prepared and sent), then every
    10 ms of a paced reply until it ends by itself.
    """
    fake_ollama.reply = "word " * 40
    fake_ollama.tokens_per_s = 200
    outcomes: set[TurnStatus] = set()
    for step in range(40):

        async def steps(count: int = step) -> None:
            for _ in range(count):
                await asyncio.sleep(0)

        status, _ = await cancel_after(tmp_path / f"step{step}", fake_ollama.url, steps)
        outcomes.add(status)
    for tick in range(200):
        status, finished = await cancel_after(
            tmp_path / f"tick{tick}", fake_ollama.url, lambda t=tick: asyncio.sleep(t * 0.01)
        )
        outcomes.add(status)
        if finished:
            break
    else:
        raise AssertionError("the reply never finished")
    assert {TurnStatus.NOT_SENT, TurnStatus.INTERRUPTED, TurnStatus.ANSWERED} <= outcomes


async def test_cancel_while_the_model_loads_is_not_sent(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.delay_first_s = 0.5
    async with conversation(tmp_path, fake_ollama.url) as conv:
        reply = conv.send("hello")
        await asyncio.sleep(0.2)
        reply.cancel("Stopped by you")
        end = ended(await events_of(reply))
        assert end.status is TurnStatus.NOT_SENT
        assert reloaded(conv)[0].note == "Stopped before any reply arrived."


async def test_a_prompt_left_without_reply_by_a_crash_is_not_sent(tmp_path: Path) -> None:
    """What kill -9 right after Enter leaves: the prompt on disk, no reply. It is retryable and
    never sent again as context (the orphan question of bug 1)."""
    transcript = Transcript(tmp_path / "explore.jsonl")
    transcript.append(UserMessage(id="a", content="first", created="x"))
    transcript.append(AssistantMessage(id="b", content="answer", created="x"))
    transcript.append(UserMessage(id="c", content="orphan", created="x"))
    async with conversation(tmp_path, closed_port_url()) as conv:
        prompt = conv.messages[-1]
        assert prompt.status == "not_sent" and conv.waiting_prompts() == [prompt]
        history = build_history(conv.messages, "explore")
        assert [m.content for m in history] == ["first", "answer"]


async def test_a_missing_model_falls_back_within_its_tier(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.models = ["qwen2.5-coder:32b"]
    async with conversation(tmp_path, fake_ollama.url, model=QUALITY) as conv:
        events = await events_of(conv.send("implement it"))
        switched = [e for e in events if isinstance(e, Switched)]
        assert [s.model.name for s in switched] == ["qwen2.5-coder:32b"]
        end = ended(events)
        assert end.status is TurnStatus.ANSWERED and end.reply is not None
        assert end.reply.model == "qwen2.5-coder:32b"
        assert end.reply.fallback_from == QUALITY.name
        assert "not installed" in (end.reply.note or "")


async def consented(reply: Reply, answer: str) -> list[ReplyEvent]:
    events: list[ReplyEvent] = []
    async for event in reply:
        events.append(event)
        if isinstance(event, ConsentRequest):
            event.answer(answer)  # type: ignore[arg-type]
    return events


@pytest.mark.parametrize("answer", ["once", "session", "no"])
async def test_leaving_the_machine_is_asked_through_a_request(
    tmp_path: Path, fake_anthropic: FakeAnthropic, answer: str
) -> None:
    remembered: list[bool] = []
    policy = ConsentPolicy(remember=lambda: remembered.append(True))
    async with conversation(
        tmp_path, closed_port_url(), model=QUALITY, anthropic=fake_anthropic, consent=policy
    ) as conv:
        events = await consented(conv.send("implement it"), answer)
        requests = [e for e in events if isinstance(e, ConsentRequest)]
        assert len(requests) == 1 and requests[0].model.name == "claude-sonnet-5-5"
        assert requests[0].tokens > 0
        end = ended(events)
        if answer == "no":
            assert end.status is TurnStatus.NOT_SENT and not fake_anthropic.message_requests()
            assert end.error is not None and "keep the prompt on this machine" in end.error.message
        else:
            assert end.status is TurnStatus.ANSWERED and end.reply is not None
            assert end.reply.model == "claude-sonnet-5-5"
        assert policy.session_allowed is (answer == "session")
        assert remembered == ([True] if answer == "session" else [])


async def test_without_anyone_to_ask_the_prompt_stays_here(
    tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    policy = ConsentPolicy(can_ask=False)
    async with conversation(
        tmp_path, closed_port_url(), model=QUALITY, anthropic=fake_anthropic, consent=policy
    ) as conv:
        events = await events_of(conv.send("implement it"))
        assert not any(isinstance(e, ConsentRequest) for e in events)
        assert ended(events).status is TurnStatus.NOT_SENT
        assert not fake_anthropic.message_requests()


async def test_a_config_that_allows_it_sends_without_asking(
    tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    policy = ConsentPolicy(always=True, can_ask=False)
    async with conversation(
        tmp_path, closed_port_url(), model=QUALITY, anthropic=fake_anthropic, consent=policy
    ) as conv:
        events = await events_of(conv.send("implement it"))
        assert ended(events).status is TurnStatus.ANSWERED
        assert len(fake_anthropic.message_requests()) == 1


async def test_cancel_while_consent_is_asked_withdraws_the_request(
    tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    async with conversation(
        tmp_path,
        closed_port_url(),
        model=QUALITY,
        anthropic=fake_anthropic,
        consent=ConsentPolicy(),
    ) as conv:
        reply = conv.send("implement it")
        events: list[ReplyEvent] = []
        async for event in reply:
            events.append(event)
            if isinstance(event, ConsentRequest):
                reply.cancel("Stopped by you")
        request = next(e for e in events if isinstance(e, ConsentRequest))
        assert request.future.cancelled()
        assert ended(events).status is TurnStatus.NOT_SENT
        assert not fake_anthropic.message_requests()


async def test_tool_steps_are_saved_before_the_reply(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text("def main():\n    pass\n")
    fake_ollama.tool_script = [
        [{"name": "read_file", "arguments": {"path": "app.py"}}],
        "It defines `main`.",
    ]
    async with conversation(tmp_path, fake_ollama.url, project=project) as conv:
        events = await events_of(conv.send("what is in app.py?"))
        steps = [e for e in events if isinstance(e, ToolStepped)]
        assert len(steps) == 1 and "def main" in steps[0].message.content
        assert ended(events).status is TurnStatus.ANSWERED
        assert [m.role for m in reloaded(conv)] == ["user", "tool", "assistant"]


async def test_one_reply_at_a_time_and_stop_waits_for_the_save(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = "word " * 100
    fake_ollama.tokens_per_s = 50
    async with conversation(tmp_path, fake_ollama.url) as conv:
        reply = conv.send("hello")
        with pytest.raises(BusyError):
            conv.submit("another")
        while not reply.text:
            await asyncio.sleep(0.01)
        await conv.stop("Stopped when workbench closed")
        assert not conv.is_streaming
        saved = reloaded(conv)[-1]
        assert saved.status == "interrupted"
        assert "Stopped when workbench closed" in (saved.note or "")


async def test_a_prompt_that_cannot_be_saved_is_not_sent(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    async with conversation(tmp_path, fake_ollama.url) as conv:
        conv.transcript.path.mkdir(parents=True)  # a folder where the file should be
        with pytest.raises(NotSavedError, match="Could not write"):
            conv.submit("hello")
        assert conv.messages == [] and not fake_ollama.chat_requests()
