"""Continuing a reply cut at its token limit: one key, one reply, through the real clients."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama, closed_port_url
from tests.unit.test_conversation import conversation, ended, events_of, reloaded
from workbench.chat.events import Started, Text, TurnStatus
from workbench.config import ModelRef
from workbench.session.model import AssistantMessage

CLOUD = ModelRef("anthropic", "claude-sonnet-5-5", "cloud")
HALF_A_FILE = "```python\ndef greet(name):\n    return f'Hello, {name}'\n\n\ndef part"
REST = "ing(name):\n    return f'Bye, {name}'\n```\n"


def cut_reply(conv_messages: list[object]) -> AssistantMessage:
    reply = conv_messages[-1]
    assert isinstance(reply, AssistantMessage) and reply.status == "cut"
    return reply


async def test_an_ollama_reply_cut_at_num_predict_continues_into_one_text(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.chunk_chars = 4
    fake_ollama.reply = HALF_A_FILE + REST
    async with conversation(tmp_path, fake_ollama.url) as conv:
        conv.settings.tiers["fast"].max_tokens = len(HALF_A_FILE) // 4  # cut mid-function
        end = ended(await events_of(conv.send("write greet and parting")))
        assert end.status is TurnStatus.CUT
        reply = cut_reply(conv.messages)
        first_part, first_tokens = reply.content, reply.output_tokens
        assert "m on it continues it" in (reply.note or "")
        assert conv.can_continue(reply)

        # The server goes on from the cut text (Ollama continues a final assistant turn).
        fake_ollama.reply = (HALF_A_FILE + REST)[len(first_part) :]
        conv.settings.tiers["fast"].max_tokens = None
        events = await events_of(conv.continue_reply(reply))
        start = events[0]
        assert isinstance(start, Started) and start.continuing and start.reply is reply
        end = ended(events)
        assert end.status is TurnStatus.ANSWERED and end.continued and end.reply is reply
        assert "".join(e.text for e in events if isinstance(e, Text)) == fake_ollama.reply

        # What was sent: the question, then the cut text as the assistant's turn to go on.
        last = fake_ollama.chat_requests()[-1]["messages"]
        assert [m["role"] for m in last] == ["system", "user", "assistant"]
        assert last[-1]["content"] == first_part.rstrip()

        # One reply on screen and on disk, whole, done; its figures are both requests'.
        assert reply.content == HALF_A_FILE + REST and reply.status == "done"
        assert reply.output_tokens is not None and first_tokens is not None
        assert reply.output_tokens > first_tokens
        assert "Continued" in (reply.note or "")
        prompt, saved = reloaded(conv)
        assert prompt.status == "done"
        assert isinstance(saved, AssistantMessage) and saved.id == reply.id
        assert (saved.content, saved.status) == (HALF_A_FILE + REST, "done")


async def test_a_claude_reply_cut_at_max_tokens_continues_without_trailing_white_space(
    tmp_path: Path, fake_anthropic: FakeAnthropic
) -> None:
    # The real API refuses a final assistant turn ending in white space (the fake too).
    fake_anthropic.chunk_chars = 4
    fake_anthropic.reply = "First line.\n\nSecond "
    async with conversation(
        tmp_path, closed_port_url(), model=CLOUD, anthropic=fake_anthropic
    ) as conv:
        conv.settings.tiers["cloud"].max_tokens = 4  # "First line.\n\nSec": cut
        end = ended(await events_of(conv.send("write two lines")))
        assert end.status is TurnStatus.CUT and end.stop_reason == "max_tokens"
        reply = cut_reply(conv.messages)
        fake_anthropic.reply = "ond line."
        conv.settings.tiers["cloud"].max_tokens = 100
        end = ended(await events_of(conv.continue_reply(reply)))
        assert end.error is None and end.status is TurnStatus.ANSWERED
        assert reply.content == "First line.\n\nSecond line." and reply.status == "done"
        sent = fake_anthropic.message_requests()[-1]["messages"]
        assert sent[-1] == {"role": "assistant", "content": "First line.\n\nSec"}


async def test_a_continuation_cut_again_stays_cut_and_can_go_on(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = "word " * 40
    async with conversation(tmp_path, fake_ollama.url) as conv:
        conv.settings.tiers["fast"].max_tokens = 10
        await events_of(conv.send("count"))
        reply = cut_reply(conv.messages)
        end = ended(await events_of(conv.continue_reply(reply)))
        assert end.status is TurnStatus.CUT and reply.status == "cut"
        assert "cut at the token limit again" in (reply.note or "")
        assert len(reply.content) == 80 - 1  # two cut parts of 40 characters, one text
        assert conv.can_continue(reply)


async def test_a_failed_continuation_keeps_the_text_and_the_reply_stays_cut(
    tmp_path: Path, fake_ollama: FakeOllama
) -> None:
    fake_ollama.reply = "alpha beta gamma delta epsilon"
    async with conversation(tmp_path, fake_ollama.url) as conv:
        conv.settings.tiers["fast"].max_tokens = 3
        await events_of(conv.send("letters"))
        reply = cut_reply(conv.messages)
        before = reply.content
        fake_ollama.status_override = 500
        end = ended(await events_of(conv.continue_reply(reply)))
        assert end.status is TurnStatus.FAILED and end.error is not None
        assert reply.content == before and reply.status == "cut"
        assert "continuation failed" in (reply.note or "") and conv.can_continue(reply)
        [saved] = [m for m in reloaded(conv) if m.role == "assistant"]
        assert (saved.content, saved.status) == (before, "cut")


async def test_only_a_cut_reply_can_be_continued(tmp_path: Path, fake_ollama: FakeOllama) -> None:
    fake_ollama.reply = "All done."
    async with conversation(tmp_path, fake_ollama.url) as conv:
        await events_of(conv.send("hi"))
        reply = conv.messages[-1]
        assert isinstance(reply, AssistantMessage) and reply.status == "done"
        assert not conv.can_continue(reply)
