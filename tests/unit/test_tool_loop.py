"""chat_with_tools driving the real `ollama` client against the fake server's scripted tool calls.

The tools here are a tiny in-test executor, not the project's: the loop only needs schemas and a
`run` function.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama
from workbench.providers.anthropic import AnthropicProvider
from workbench.providers.base import ChatMessage, TextDelta, ToolCall, Usage
from workbench.providers.ollama import OllamaProvider, ToolsUnsupportedError
from workbench.providers.tool_loop import (
    NO_ANSWER,
    OUT_OF_ROUNDS,
    LoopEvent,
    ToolOutcome,
    ToolStep,
    chat_with_tools,
    summed,
)

MODEL = "qwen2.5-coder:7b"
QUESTION = [ChatMessage("user", "What does src/app.py do?")]
FILES = {"src/app.py": "def main():\n    print('hi')\n", "README.md": "# Demo\n"}


def schema(name: str) -> dict[str, Any]:
    """An Ollama function schema with one string parameter, `path`."""
    parameters = {"type": "object", "properties": {"path": {"type": "string"}}}
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


TOOLS = [schema("read_file"), schema("list_dir")]


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """One scripted tool call for the fake."""
    return {"name": name, "arguments": arguments}


class Executor:
    """Runs read_file and list_dir over FILES, remembering every call."""

    def __init__(self) -> None:
        self.calls: list[ToolCall] = []

    async def __call__(self, tool: ToolCall) -> ToolOutcome:
        self.calls.append(tool)
        if tool.name == "list_dir":
            return ToolOutcome(True, "\n".join(sorted(FILES)))
        path = str(tool.arguments.get("path", ""))
        if path in FILES:
            return ToolOutcome(True, FILES[path])
        return ToolOutcome(False, f"No such file: {path}")


@pytest.fixture
async def provider(fake_ollama: FakeOllama) -> AsyncIterator[OllamaProvider]:
    """A provider pointed at the fake."""
    prov = OllamaProvider(fake_ollama.url, timeout_s=5, connect_timeout_s=2)
    yield prov
    await prov.aclose()


def loop(
    provider: OllamaProvider,
    run: Any,
    *,
    max_rounds: int = 8,
    history: list[ChatMessage] | None = None,
) -> AsyncIterator[LoopEvent]:
    """chat_with_tools with this module's defaults."""
    return chat_with_tools(
        provider,
        MODEL,
        QUESTION if history is None else history,
        system="Explore the project.",
        options=None,
        tools=TOOLS,
        run=run,
        max_rounds=max_rounds,
    )


async def drain(stream: AsyncIterator[LoopEvent]) -> tuple[str, list[ToolStep], Usage]:
    """(reply text, tool steps, the one final usage) of a loop that must succeed."""
    events = [event async for event in stream]
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(usages) == 1 and events[-1] is usages[0]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return text, [e for e in events if isinstance(e, ToolStep)], usages[0]


async def test_a_tool_call_round_trip(fake_ollama: FakeOllama, provider: OllamaProvider) -> None:
    fake_ollama.tool_script = [[call("read_file", path="src/app.py")], "It prints hi."]
    run = Executor()
    text, steps, _ = await drain(loop(provider, run))
    assert text == "It prints hi."
    read = ToolCall("read_file", {"path": "src/app.py"})
    assert steps == [ToolStep(read, True, FILES["src/app.py"])]
    assert run.calls == [read]
    first, second = fake_ollama.chat_requests()
    assert first["tools"] == second["tools"] == TOOLS
    assert first["messages"] == [
        {"role": "system", "content": "Explore the project."},
        {"role": "user", "content": "What does src/app.py do?"},
    ]
    assert second["messages"][2:] == [
        {
            "role": "assistant",
            "tool_calls": [
                {"function": {"name": "read_file", "arguments": {"path": "src/app.py"}}}
            ],
        },
        {"role": "tool", "content": FILES["src/app.py"], "tool_name": "read_file"},
    ]


async def test_several_calls_in_one_round_run_in_order(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [
        [call("list_dir"), call("read_file", path="README.md"), call("read_file", path="x.py")],
        "Done.",
    ]
    run = Executor()
    _, steps, _ = await drain(loop(provider, run))
    assert [s.call.name for s in steps] == ["list_dir", "read_file", "read_file"]
    assert [s.ok for s in steps] == [True, True, False]
    assert steps[2].result == "No such file: x.py"
    assert run.calls == [s.call for s in steps]
    _, second = fake_ollama.chat_requests()
    assistant, *results = second["messages"][2:]
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == [
        "list_dir",
        "read_file",
        "read_file",
    ]
    assert results == [
        {"role": "tool", "content": "README.md\nsrc/app.py", "tool_name": "list_dir"},
        {"role": "tool", "content": "# Demo\n", "tool_name": "read_file"},
        {"role": "tool", "content": "No such file: x.py", "tool_name": "read_file"},
    ]


async def test_several_rounds_keep_the_whole_exchange(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [
        {"content": "Let me list the files.", "tool_calls": [call("list_dir")]},
        [call("read_file", path="src/app.py")],
        "It prints hi.",
    ]
    history = list(QUESTION)
    text, steps, _ = await drain(loop(provider, Executor(), history=history))
    assert text == "Let me list the files.It prints hi."
    assert [s.call.name for s in steps] == ["list_dir", "read_file"]
    assert history == QUESTION  # the caller's history is left alone
    requests = fake_ollama.chat_requests()
    assert len(requests) == 3
    roles = [m["role"] for m in requests[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool"]
    assert requests[-1]["messages"][2]["content"] == "Let me list the files."


async def test_usage_sums_every_round(fake_ollama: FakeOllama, provider: OllamaProvider) -> None:
    answer = "It prints hi, nothing else."
    fake_ollama.tool_script = [[call("list_dir")], [call("read_file", path="src/app.py")], answer]
    _, _, usage = await drain(loop(provider, Executor()))
    requests = fake_ollama.chat_requests()
    # The fake counts a prompt token per 4 characters of content, an output token per chunk
    # or tool call.
    prompts = [sum(len(m.get("content", "")) for m in r["messages"]) // 4 for r in requests]
    assert usage.input_tokens == sum(max(1, p) for p in prompts)
    assert usage.output_tokens == 1 + 1 + len(fake_ollama.split(answer))
    assert usage.model == MODEL and usage.stop_reason == "stop"
    assert usage.duration_s >= 0


async def test_max_rounds_then_one_answer_without_tools(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [[call("list_dir")], [call("list_dir")], "From what I saw: a demo."]
    text, steps, _ = await drain(loop(provider, Executor(), max_rounds=2))
    assert text == "From what I saw: a demo."
    assert len(steps) == 2
    requests = fake_ollama.chat_requests()
    assert len(requests) == 3
    assert requests[1]["tools"] == TOOLS
    assert not requests[2].get("tools")
    assert requests[2]["messages"][-1] == {
        "role": "user",
        "content": OUT_OF_ROUNDS.format(rounds=2),
    }


async def test_an_empty_last_answer_is_explained(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [[call("list_dir")], ""]
    text, steps, usage = await drain(loop(provider, Executor(), max_rounds=1))
    assert len(steps) == 1
    assert text == NO_ANSWER.format(rounds=1)
    assert len(fake_ollama.chat_requests()) == 2
    assert usage.output_tokens == 1


async def test_a_model_without_tools_raises_before_anything_runs(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.capabilities[MODEL] = ["completion"]
    run = Executor()
    seen: list[LoopEvent] = []
    with pytest.raises(ToolsUnsupportedError) as refused:
        async for event in loop(provider, run):
            seen.append(event)
    assert "does not support tools" in refused.value.message
    assert seen == [] and run.calls == []


async def test_a_tool_that_raises_becomes_a_failed_step(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [[call("read_file", path="src/app.py")], "Could not read it."]

    async def broken(tool: ToolCall) -> ToolOutcome:
        raise OSError("disk on fire")

    text, (step,), _ = await drain(loop(provider, broken))
    assert not step.ok and "disk on fire" in step.result and "read_file" in step.result
    assert text == "Could not read it."
    sent = fake_ollama.chat_requests()[1]["messages"][-1]
    assert sent["role"] == "tool" and "disk on fire" in sent["content"]


async def test_cancelling_mid_reply_closes_the_stream(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    long_answer = "word " * 2000
    fake_ollama.tool_script = [[call("list_dir")], long_answer]
    fake_ollama.tokens_per_s = 500
    answering = asyncio.Event()

    async def consume() -> None:
        async for event in loop(provider, Executor()):
            if isinstance(event, TextDelta):
                answering.set()

    task = asyncio.create_task(consume())
    await answering.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(fake_ollama.wait_until, lambda: fake_ollama.streams_aborted)
    assert fake_ollama.chunks_sent < len(fake_ollama.split(long_answer))


async def test_cancelling_while_a_tool_runs_asks_no_more(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.tool_script = [[call("list_dir")], "never asked for"]
    running, cancelled = asyncio.Event(), asyncio.Event()

    async def slow(tool: ToolCall) -> ToolOutcome:
        running.set()
        try:
            await asyncio.Event().wait()  # a tool that never finishes
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return ToolOutcome(True, "")

    task = asyncio.create_task(drain(loop(provider, slow)))
    await running.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
    assert len(fake_ollama.chat_requests()) == 1
    assert fake_ollama.tool_script == ["never asked for"]


async def test_closing_the_loop_closes_the_stream(
    fake_ollama: FakeOllama, provider: OllamaProvider
) -> None:
    fake_ollama.reply = "word " * 2000
    fake_ollama.tokens_per_s = 500
    stream = loop(provider, Executor())
    assert isinstance(await anext(stream), TextDelta)
    await stream.aclose()  # type: ignore[attr-defined]
    assert await asyncio.to_thread(fake_ollama.wait_until, lambda: fake_ollama.streams_aborted)


def test_summed_usage() -> None:
    assert summed([], "m") == Usage(model="m")
    parts = [
        Usage("a", input_tokens=10, output_tokens=None, duration_s=1.0, stop_reason="stop"),
        Usage("b", input_tokens=5, output_tokens=3, duration_s=0.5, stop_reason="length"),
    ]
    assert summed(parts, "m") == Usage("b", 15, 3, 1.5, "length")
    # The server's generation time adds up only when every round reported it.
    timed = [replace(part, generation_s=0.25) for part in parts]
    assert summed(timed, "m").generation_s == 0.5
    assert summed([timed[0], parts[1]], "m").generation_s is None


async def test_claude_reads_a_tool_exchange_as_text(fake_anthropic: FakeAnthropic) -> None:
    # The cloud tier gets no tools; a history from a local tool loop still has to reach it.
    prov = AnthropicProvider(
        "sk-test", base_url=fake_anthropic.url, max_retries=0, timeout_s=5, models=["c"]
    )
    read = ToolCall("read_file", {"path": "src/app.py"})
    history = [
        *QUESTION,
        ChatMessage("assistant", "Let me look.", tool_calls=(read, ToolCall("list_dir"))),
        ChatMessage("tool", FILES["src/app.py"], tool_name="read_file"),
        ChatMessage("tool", "README.md", tool_name="list_dir"),
        ChatMessage("assistant", "It prints hi."),
        ChatMessage("user", "Review that."),
    ]
    try:
        events = [e async for e in prov.stream_chat("c", history, tools=TOOLS)]
    finally:
        await prov.aclose()
    assert isinstance(events[-1], Usage)
    (request,) = fake_anthropic.requests
    assert "tools" not in request.body
    assert request.body["messages"] == [
        {"role": "user", "content": "What does src/app.py do?"},
        {
            "role": "assistant",
            "content": 'Let me look.\n[Called tool read_file {"path": "src/app.py"}]\n'
            "[Called tool list_dir {}]",
        },
        {
            "role": "user",
            "content": f"[Result of tool read_file]\n{FILES['src/app.py']}\n\n"
            "[Result of tool list_dir]\nREADME.md",
        },
        {"role": "assistant", "content": "It prints hi."},
        {"role": "user", "content": "Review that."},
    ]
