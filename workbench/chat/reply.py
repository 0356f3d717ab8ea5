"""One reply on its way: a task that streams it down the fallback chain and saves how it ended.

The task is the reply's own (not the UI's), so whatever cancels it and wherever (before the
request, while waiting for consent, mid-stream, during a tool call), the turn ends in exactly one
of the `TurnStatus` outcomes, saved before anything else can run, and `Ended` is delivered. A
checkpoint that cannot be written stops the reply too: it ends failed, saying so.
The text arrives sanitized: the providers clean what a server sends (`workbench.textclean`).
Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from workbench.chat.consent import ConsentPolicy
from workbench.chat.continuation import Continuation, Figures, settle_continuation
from workbench.chat.events import (
    ConsentAnswer,
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
from workbench.chat.history import answered_version
from workbench.chat.outcome import joined, settle
from workbench.config import ModelRef, Settings
from workbench.project.explore import ProjectAccess
from workbench.providers import chain
from workbench.providers.base import ChatMessage, ErrorKind, ProviderError, TextDelta, Usage
from workbench.providers.fallback import fallback_chain
from workbench.providers.router import ProviderRouter
from workbench.providers.tool_loop import ToolStep
from workbench.session.model import (
    AssistantMessage,
    ErrorMessage,
    Message,
    Pane,
    ToolMessage,
    UserMessage,
)
from workbench.session.transcript import Transcript, new_id, now_iso
from workbench.textclean import sanitize


class ReplyHost(Protocol):
    """What a reply needs of its conversation (`Conversation` is the one)."""

    pane: Pane
    model: ModelRef
    messages: list[Message]
    settings: Settings
    router: ProviderRouter
    transcript: Transcript
    consent: ConsentPolicy
    checkpoint_interval_s: float
    project_access: ProjectAccess | None

    @property
    def tools_enabled(self) -> bool: ...

    async def prepare(self, reply: Reply) -> list[ChatMessage]: ...

    def request_tokens(self, prompt: UserMessage) -> int: ...

    def save(self, message: Message) -> str | None: ...

    def reply_ended(self, reply: Reply) -> None: ...


RETRY_HINT = (
    "\n\nYour message is kept above: press r on it or here to send it again, "
    "now or after a restart."
)
ON_SCREEN_ONLY = "Its text is on screen only: press c on it to copy it."
"""Said when a reply could not be saved at all."""
SAVED_LATE = "Its text so far is kept, on screen and on disk."
"""Said when checkpoints failed but the reply's whole message could still be saved."""


def described(error: Exception) -> str:
    """An exception in a few words: the OS's reason, or its type and message."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


@dataclass(frozen=True, eq=False)
class _TextReady:
    """Queued for a batch of text; the consumer gets the batch as one `Text`."""

    parts: list[str]


class Reply:
    """The reply to one prompt: iterate it for events; `Ended` comes last, always."""

    def __init__(
        self,
        conversation: ReplyHost,
        prompt: UserMessage,
        *,
        continuing: Continuation | None = None,
    ) -> None:
        self.conversation = conversation
        self.prompt = prompt
        self.continuing = continuing
        """Set when this goes on from a reply cut at its token limit (one text in the end)."""
        self.asked = continuing.model if continuing else conversation.model
        """The model the reply was asked of (a fallback may answer instead)."""
        self.message = (
            continuing.message
            if continuing
            else AssistantMessage(
                id=new_id(),
                content="",
                model=self.asked.name,
                status="streaming",
                created=now_iso(),
                spec_version=answered_version(conversation.messages),
            )
        )
        """The reply's record, filled as it arrives; saved when it ends (if it has text)."""
        self._base = continuing.message.content if continuing else ""
        """The text a continuation goes on from."""
        self.usage: Usage | None = None
        self.cancel_reason: str | None = None
        self.outcome: Ended | None = None
        """How it ended (set the moment it is saved)."""
        self._queue: asyncio.Queue[ReplyEvent | _TextReady] = asyncio.Queue()
        self._parts: list[str] = []
        self._checkpointed = 0
        self._not_saved: ProviderError | None = None
        """Why a checkpoint failed: the reply is stopped and ends with this error."""
        self._last_checkpoint = time.monotonic()
        self._ticker: asyncio.Task[None] | None = None
        self._unsent: list[str] | None = None
        """Text not handed to the consumer yet; one queued `_TextReady` stands for all of it."""
        self._reached = False
        """True once the model answered anything (text, a tool call, figures)."""
        self.emit(Started(prompt, self.message, continuing=continuing is not None))
        self._task = asyncio.get_running_loop().create_task(self._run())
        # A task cancelled before it ever ran never enters `_run`: this still ends the turn.
        self._task.add_done_callback(self._task_done)

    # -- for the caller ---------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[ReplyEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[ReplyEvent]:
        try:
            while True:
                event = await self._queue.get()
                if isinstance(event, _TextReady):
                    if self._unsent is event.parts:
                        self._unsent = None  # later text starts a new batch
                    yield Text("".join(event.parts))
                    continue
                yield event
                if isinstance(event, Ended):
                    return
        finally:
            # The consumer went away (its task was cancelled): the reply stops with it.
            if self.outcome is None:
                self._task.cancel()

    @property
    def settings(self) -> Settings:
        """The settings the reply runs under."""
        return self.conversation.settings

    def request_tokens(self) -> int:
        """About how many tokens the request for this reply sends."""
        return self.conversation.request_tokens(self.prompt)

    @property
    def text(self) -> str:
        """The sanitized text received so far (after the cut text, for a continuation)."""
        return self._base + "".join(self._parts)

    def cancel(self, reason: str = "Stopped by you") -> bool:
        """Stop the reply; what arrived is kept. False when it had ended already."""
        if self.outcome is not None:
            return False
        self.cancel_reason = self.cancel_reason or reason
        self._task.cancel()
        return True

    async def wait(self) -> Ended:
        """Wait until the reply has ended and is saved."""
        if not self._task.done():
            await asyncio.wait({self._task})
        if self.outcome is None:  # the task was cancelled before it ran
            self._end(None, cancelled=True)
        assert self.outcome is not None
        return self.outcome

    # -- the task ---------------------------------------------------------------------------

    def emit(self, event: ReplyEvent) -> None:
        """Hand an event to the consumer (it is queued; the reply never waits for it)."""
        self._unsent = None  # text after this event goes out after it
        self._queue.put_nowait(event)

    def _emit_text(self, text: str) -> None:
        # At full speed thousands of deltas arrive: the consumer gets what piled up since it
        # last looked, as one `Text`, instead of one event (and one task switch) per delta.
        if self._unsent is None:
            self._unsent = []
            self._queue.put_nowait(_TextReady(self._unsent))
        self._unsent.append(text)

    async def _run(self) -> None:
        conversation = self.conversation
        settings = conversation.settings
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        try:
            if self.continuing is not None:
                await self._continue()
                self._end(None)
                return
            history = await conversation.prepare(self)

            def system_for(ref: ModelRef) -> str:
                return settings.system_prompt_for(ref, conversation.pane)

            def without_tools(ref: ModelRef) -> None:
                note = f"{ref.name} cannot call tools: it saw only attached files."
                self.message.note = joined(self.message.note, note)

            access = conversation.project_access if conversation.tools_enabled else None
            events = chain.stream_chain(
                conversation.router,
                fallback_chain(settings, self.asked),
                history,
                system_for=system_for,
                options_for=settings.options_for,
                consent=self._consent,
                open_stream=access.opener(
                    history, system_for=system_for, without_tools=without_tools
                )
                if access is not None
                else None,
            )
            async for event in events:
                if isinstance(event, TextDelta):
                    self._text(event.text)
                elif isinstance(event, ToolStep):
                    self._reached = True
                    self._tool_step(event)
                elif isinstance(event, Usage):
                    self._reached = True
                    self.usage = event
                elif isinstance(event, chain.Switched):
                    self._switched(event)
        except ProviderError as failure:  # its message is sanitized already
            self._end(failure)
        except asyncio.CancelledError:
            # A failed checkpoint cancels the task too (closing the stream): it ends as a failure.
            self._end(self._not_saved, cancelled=self._not_saved is None)
            raise
        except Exception as failure:  # a bug or an unexpected client error: say it, keep text
            self._end(ProviderError(ErrorKind.OTHER, f"Unexpected error: {failure!r}"))
        else:
            self._end(None)

    async def _continue(self) -> None:
        """Ask the model that was cut off to go on from its own text (one request, no tools).

        The cut text goes last as the assistant's turn: Ollama and Claude both carry on from
        an assistant turn at the end of the chat rather than starting a new answer.
        """
        assert self.continuing is not None
        conversation, model = self.conversation, self.asked
        history = [*self.continuing.history, ChatMessage("assistant", self._base)]
        stream = conversation.router.get(model.provider).stream_chat(
            model.name,
            history,
            system=conversation.settings.system_prompt_for(model, conversation.pane),
            options=conversation.settings.options_for(model),
        )
        async for event in stream:
            if isinstance(event, TextDelta):
                self._text(event.text)
            elif isinstance(event, Usage):
                self._reached = True
                self.usage = event

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if self.outcome is None:
            self._end(None, cancelled=True)

    async def _tick(self) -> None:
        # Text that arrived just before a pause is saved without waiting for the next delta.
        interval = self.conversation.checkpoint_interval_s
        while True:
            await asyncio.sleep(interval)
            self.checkpoint()

    def _text(self, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        self._reached = True
        self._emit_text(text)
        if time.monotonic() - self._last_checkpoint >= self.conversation.checkpoint_interval_s:
            self.checkpoint()

    def checkpoint(self) -> None:
        """Append the text since the last checkpoint to the transcript (survives kill -9).

        If that fails, for any reason, the reply is stopped and ends failed, saying why: text
        that cannot be saved must not go on piling up unseen.
        """
        self._last_checkpoint = time.monotonic()
        new = self._parts[self._checkpointed :]
        if not new or self._not_saved is not None or self.outcome is not None:
            return
        transcript = self.conversation.transcript
        try:
            transcript.append_chunk(self.message.id, "".join(new), model=self.message.model)
        except Exception as error:  # a full disk, or anything else: never silent, never stuck
            self._not_saved = ProviderError(
                ErrorKind.NOT_SAVED,
                f"Could not save the reply to {transcript.path} while it arrived "
                f"({described(error)}), so it was stopped.",
            )
            self._task.cancel()
            return
        self._checkpointed = len(self._parts)

    def _tool_step(self, step: ToolStep) -> None:
        message = ToolMessage(
            id=new_id(),
            content=sanitize(step.result),
            status="done" if step.ok else "error",
            created=now_iso(),
            tool_name=step.call.name,  # the call is sanitized by the provider
            tool_args=json.dumps(step.call.arguments, ensure_ascii=False),
        )
        self.conversation.messages.append(message)
        self.save(message)
        self.emit(ToolStepped(message))

    def _switched(self, event: chain.Switched) -> None:
        self.message.model, self.message.fallback_from = event.model.name, self.asked.name
        self.message.note = f"Fallback: {event.summary}."
        self.emit(Switched(event.model, event.attempts, self.message.note))

    async def _consent(self, model: ModelRef, attempts: tuple[chain.Attempt, ...]) -> bool:
        policy = self.conversation.consent
        if policy.allowed:
            return True
        if not policy.can_ask:
            return False
        future: asyncio.Future[ConsentAnswer] = asyncio.get_running_loop().create_future()
        tokens = self.conversation.request_tokens(self.prompt)
        self.emit(ConsentRequest(model, attempts, tokens, future))
        try:
            answer = await future
        finally:
            if not future.done():
                future.cancel()  # withdrawn: the UI closes its question
        if answer == "session":
            problem = policy.allow_for_session()
            if problem:
                self.emit(Notice(problem))
        return answer != "no"

    def save(self, message: Message) -> bool:
        """Write a message of this turn; a failure becomes a `Notice` (the turn goes on)."""
        problem = self.conversation.save(message)
        if problem is not None:
            self.emit(Notice(problem, title="Not saved", severity="error"))
        return problem is None

    # -- the end ----------------------------------------------------------------------------

    def _record_usage(self, usage: Usage) -> None:
        """Put the reply's figures on its record; a continuation adds to the cut reply's."""
        reply = self.message
        if usage.model:
            reply.model = usage.model
        reply.stop_reason = usage.stop_reason
        figures: Figures = (
            usage.input_tokens,
            usage.output_tokens,
            usage.duration_s,
            usage.generation_s,
        )
        if self.continuing is not None:
            figures = self.continuing.added_to(usage)
        reply.input_tokens, reply.output_tokens, duration, generation = figures
        reply.duration_s = round(duration, 2) if duration is not None else None
        reply.generation_s = round(generation, 3) if generation else None

    def _saved_or_not(
        self, status: TurnStatus, error: ProviderError | None, problem: str | None
    ) -> tuple[TurnStatus, ProviderError | None]:
        """The turn's outcome once the reply's message was saved (`problem` None) or not.

        A reply that is not on disk ends failed (unless it was stopped), saying where its text
        still is; after failed checkpoints, the error says whether the second try saved it.
        """
        if error is not None and error.kind is ErrorKind.NOT_SAVED:
            told = ON_SCREEN_ONLY if problem is not None else SAVED_LATE
            return status, ProviderError(error.kind, f"{error.message} {told}")
        if problem is None:
            return status, error
        if error is not None or status is TurnStatus.INTERRUPTED:
            self.emit(Notice(f"{problem} {ON_SCREEN_ONLY}", title="Not saved", severity="error"))
            return status, error
        self.message.status, self.prompt.status = "failed", "failed"
        return TurnStatus.FAILED, ProviderError(ErrorKind.NOT_SAVED, f"{problem} {ON_SCREEN_ONLY}")

    def _end(self, error: ProviderError | None, *, cancelled: bool = False) -> None:
        """Decide how the turn came out and save it. Synchronous: nothing can interrupt it."""
        if self.outcome is not None:
            return
        if self._ticker is not None:
            self._ticker.cancel()
        reply, prompt = self.message, self.prompt
        reply.content = self.text
        if self.usage is not None:
            self._record_usage(self.usage)
        if self.continuing is not None:
            status, error = settle_continuation(
                self, error, cancelled=cancelled, added=bool(self._parts)
            )
        else:
            status, error = settle(self, error, cancelled=cancelled, reached=self._reached)
        conversation = self.conversation
        if reply.content:
            if self.continuing is None:  # a continued reply is in the conversation already
                conversation.messages.append(reply)
            problem = conversation.save(reply)
            if problem is not None:
                reply.note = joined(reply.note, "Not saved to disk (see the error).")
            status, error = self._saved_or_not(status, error, problem)
        if prompt.status != "done":
            self.save(prompt)  # the same id again: the newer line wins when it is read
        notice = None
        if error is not None:
            hint = RETRY_HINT if status.retryable and not reply.content else ""
            notice = ErrorMessage(
                id=new_id(),
                content=error.message + hint,
                created=now_iso(),
                error_kind=error.kind.value,
            )
            conversation.messages.append(notice)
            self.save(notice)
        self.outcome = Ended(
            status,
            prompt,
            reply if reply.content else None,
            error=error,
            notice=notice,
            usage=self.usage,
            stop_reason=reply.stop_reason,
            continued=self.continuing is not None,
        )
        conversation.reply_ended(self)
        self.emit(self.outcome)
