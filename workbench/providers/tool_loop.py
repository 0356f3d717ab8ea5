"""Let a model call tools: stream its reply, run the calls it asks for, send the results back.

The provider streams one reply per round; a reply with tool calls is followed by a `ToolStep` per
call and another round, until a reply has no calls. The loop knows nothing about what the tools
do: the caller passes their schemas and a `run` function. Core module: never imports textual.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from workbench.providers.base import (
    ChatMessage,
    ChatProvider,
    ModelOptions,
    TextDelta,
    ToolCall,
    ToolRequest,
    Usage,
)

DEFAULT_MAX_ROUNDS = 8

OUT_OF_ROUNDS = (
    "You have used all {rounds} rounds of tool calls. Do not call tools any more: answer now "
    "from what you have found, and say what you could not check."
)
"""Sent as a user turn before the last, tool-less request."""

NO_ANSWER = "\n\n_(Stopped after {rounds} rounds of tool calls without a final answer.)_"
"""Added to the reply text when the model still gave no answer after the last request."""


class Outcome(Protocol):
    """What running a tool gave: anything with `ok` and `text` (`ToolOutcome`, a `ToolResult`)."""

    @property
    def ok(self) -> bool: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class ToolOutcome:
    """The result of running one tool call, as the model will read it."""

    ok: bool
    """False when the tool failed; `text` then says why."""
    text: str


@dataclass(frozen=True)
class ToolStep:
    """A tool call the model made and what it gave (yielded after the tool ran)."""

    call: ToolCall
    ok: bool
    result: str


ToolRunner = Callable[[ToolCall], Awaitable[Outcome]]
"""Runs one tool call; failures should come back as `ok=False`, but exceptions are caught too."""

LoopEvent = TextDelta | ToolStep | Usage


async def chat_with_tools(
    provider: ChatProvider,
    model: str,
    history: list[ChatMessage],
    *,
    system: str | None,
    options: ModelOptions | None,
    tools: list[dict[str, Any]],
    run: ToolRunner,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
) -> AsyncIterator[LoopEvent]:
    """Stream a reply in which the model may call `tools`; yield text, tool steps, one `Usage`.

    Each round streams a reply (its text passes through); the calls it asks for run in order
    through `run`, each followed by a `ToolStep`, and the results go back for the next round.
    It ends with the first reply without tool calls. After `max_rounds` rounds with calls, the
    model is asked once more without tools, so it has to answer in text. The final `Usage` sums
    the tokens and durations of all rounds and names the model of the last one.

    `history` is not changed. `ProviderError` propagates (including the Ollama provider's
    `ToolsUnsupportedError` for a model without tool support); cancelling the consuming task,
    or closing this generator, closes the open HTTP stream.
    """
    working = list(history)
    usages: list[Usage] = []
    rounds = 0
    while True:
        last = rounds >= max_rounds
        if last and rounds:
            working.append(ChatMessage("user", OUT_OF_ROUNDS.format(rounds=rounds)))
        text: list[str] = []
        calls: tuple[ToolCall, ...] = ()
        stream = provider.stream_chat(
            model, working, system=system, options=options, tools=None if last else tools
        )
        try:
            async for event in stream:
                if isinstance(event, TextDelta):
                    text.append(event.text)
                    yield event
                elif isinstance(event, ToolRequest):
                    calls += event.calls
                else:
                    usages.append(event)
        finally:
            # If this generator is closed or cancelled mid-round, the provider's stream closes
            # (and with it the HTTP response) now rather than whenever it is garbage-collected.
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
        if last and rounds and not "".join(text).strip():
            # Even without tools the model gave no answer: say so, or the reply would be empty.
            yield TextDelta(NO_ANSWER.format(rounds=rounds))
        if last or not calls:
            break
        rounds += 1
        working.append(ChatMessage("assistant", "".join(text), tool_calls=calls))
        for call in calls:
            outcome = await _run_one(run, call)
            yield ToolStep(call, outcome.ok, outcome.text)
            working.append(ChatMessage("tool", outcome.text, tool_name=call.name))
    yield summed(usages, model)


async def _run_one(run: ToolRunner, call: ToolCall) -> Outcome:
    """Run one call; an exception becomes a failed outcome the model can read and react to."""
    try:
        return await run(call)
    except Exception as exc:
        arguments = json.dumps(call.arguments, ensure_ascii=False)
        return ToolOutcome(False, f"Tool {call.name} {arguments} failed: {exc!r}")


def summed(usages: list[Usage], model: str) -> Usage:
    """One `Usage` for several replies: tokens and durations added, the last reply's model."""
    if not usages:
        return Usage(model=model)

    def total(values: list[int | None]) -> int | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    return Usage(
        model=usages[-1].model,
        input_tokens=total([u.input_tokens for u in usages]),
        output_tokens=total([u.output_tokens for u in usages]),
        duration_s=sum(u.duration_s for u in usages),
        stop_reason=usages[-1].stop_reason,
        # Server-timed only when every round was: a partial sum would overstate the speed.
        generation_s=sum(u.generation_s for u in usages if u.generation_s)
        if all(u.generation_s for u in usages)
        else None,
    )
