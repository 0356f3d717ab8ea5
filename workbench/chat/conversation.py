"""One chat pane's conversation: its messages and transcript, what is sent, and its replies.

`submit` saves a prompt before anything is sent (persist-first); `reply` answers it as a stream
of events; `retry` sends a prompt that got no reply again. A UI renders the events and the
`workbench ask` command prints them: neither writes the transcript nor builds the history.
Core module: never imports textual.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.chat.consent import ConsentPolicy
from workbench.chat.continuation import Continuation
from workbench.chat.events import Inserted, Notice, Progress, PromptChanged
from workbench.chat.history import build_history, mark_unanswered
from workbench.chat.reply import Reply, described
from workbench.config import ModelRef, Settings, models_for_pane
from workbench.project.attach import load_entries, pending_attachments
from workbench.project.compress import (
    COMPRESS_PROMPT,
    context_budget,
    conversation_text,
    history_tokens,
    to_compress,
)
from workbench.project.explore import ProjectAccess
from workbench.providers.base import ChatMessage
from workbench.providers.chain import ask_once
from workbench.providers.router import ProviderRouter
from workbench.session.model import (
    RETRYABLE,
    AssistantMessage,
    AttachedFile,
    Message,
    Pane,
    PromptKind,
    UserMessage,
    is_summary,
    prompt_of,
)
from workbench.session.transcript import Transcript, new_id, now_iso


class ConversationError(Exception):
    """A request the conversation cannot carry out; the message says why and what to do."""


class NotSavedError(ConversationError):
    """A message could not be written to the transcript (nothing was sent)."""


class BusyError(ConversationError):
    """A reply is still arriving."""


class Conversation:
    """The messages of one chat pane, the model it talks to, and the reply under way."""

    def __init__(
        self,
        pane: Pane,
        transcript: Transcript,
        router: ProviderRouter,
        model: ModelRef,
        *,
        project_root: Path | None = None,
        consent: ConsentPolicy | None = None,
        checkpoint_interval_s: float | None = None,
        tools_on: bool | None = None,
    ) -> None:
        self.pane: Pane = pane
        self.transcript = transcript
        self.router = router
        self.settings: Settings = router.settings
        self.model = model
        """The model that answers the next prompt."""
        self.project_root = project_root
        """The project `@path` attachments and tools are confined to."""
        self.consent = consent or ConsentPolicy(can_ask=False)
        """Whether a local prompt may fall back to a cloud model, and whether to ask."""
        self.checkpoint_interval_s = (
            checkpoint_interval_s
            if checkpoint_interval_s is not None
            else self.settings.checkpoint_interval_s
        )
        self.project_access: ProjectAccess | None = (
            ProjectAccess(router, self.settings, project_root)
            if project_root is not None and pane == "explore"
            else None
        )
        """The Explore conversation's read-only tools over the project."""
        self.tools_on = self.settings.project.tools if tools_on is None else tools_on
        """The session's tools switch (F8)."""
        self.messages: list[Message] = []
        """Everything in the transcript, in order."""
        self.current: Reply | None = None
        """The reply under way, if any."""

    def load(self) -> list[str]:
        """Read the transcript; a warning per line that had to be skipped."""
        self.messages, warnings = self.transcript.load()
        mark_unanswered(self.messages)
        return warnings

    # -- state ------------------------------------------------------------------------------

    @property
    def is_streaming(self) -> bool:
        """True while a reply is under way."""
        return self.current is not None

    @property
    def system_prompt(self) -> str:
        """The system prompt sent with the current model (its tier's, else the pane's)."""
        return self.settings.system_prompt_for(self.model, self.pane)

    @property
    def tools_enabled(self) -> bool:
        """True when this conversation's model may read the project through tools."""
        return self.project_access is not None and self.tools_on

    def waiting_prompts(self) -> list[UserMessage]:
        """Prompts that got no reply and can be sent again."""
        return [m for m in self.messages if m.role == "user" and m.status in RETRYABLE]

    def save(self, message: Message) -> str | None:
        """Append a message to the transcript; what went wrong (to show), or None.

        Never raises: a turn whose message cannot be saved must still end, and say so.
        """
        try:
            self.transcript.append(message)
        except OSError as error:
            return (
                f"Could not write {self.transcript.path}: {error.strerror or error}. "
                "The message is not saved; free some space or fix the permissions."
            )
        except Exception as error:  # a bug: say what it was rather than leave the turn hanging
            return (
                f"Could not write {self.transcript.path}: {described(error)}. "
                "The message is not saved."
            )
        return None

    def _save_or_raise(self, message: Message) -> None:
        problem = self.save(message)
        if problem is not None:
            raise NotSavedError(problem)

    # -- sending ----------------------------------------------------------------------------

    def submit(
        self,
        text: str,
        *,
        kind: PromptKind | None = None,
        spec_version: int | None = None,
        note: str | None = None,
        attachments: list[AttachedFile] | None = None,
    ) -> UserMessage:
        """Save a new prompt (nothing is sent yet); NotSavedError when the disk refuses.

        `attachments` are files loaded already (the spec's); otherwise the `@path` files of a
        typed message are attached when the reply starts.
        """
        if self.is_streaming:
            raise BusyError("A reply is still arriving: stop it first (Escape).")
        if attachments is None and kind is None and self.project_root is not None:
            attachments = pending_attachments(text) or None
        message = UserMessage(
            id=new_id(),
            content=text,
            created=now_iso(),
            kind=kind,
            spec_version=spec_version,
            note=note,
            attachments=attachments,
        )
        self._save_or_raise(message)
        self.messages.append(message)
        return message

    def reply(self, prompt: UserMessage) -> Reply:
        """Start answering a saved prompt; iterate the result for its events."""
        if self.is_streaming:
            raise BusyError("A reply is still arriving: stop it first (Escape).")
        self.current = Reply(self, prompt)
        return self.current

    def send(self, text: str, **fields: Any) -> Reply:
        """`submit` then `reply`."""
        return self.reply(self.submit(text, **fields))

    def retry(self, prompt: UserMessage) -> UserMessage:
        """Make a prompt that got no reply ready to send again, and return the one to answer.

        In place when nothing but problem notices came after it; else a copy is added as a new
        turn and the old one is marked `retried` (only once the copy is saved).
        """
        if self.is_streaming:
            raise BusyError("A reply is still arriving: stop it first (Escape).")
        index = next(i for i, m in enumerate(self.messages) if m is prompt)
        if any(m.role != "error" for m in self.messages[index + 1 :]):
            copy = self.submit(
                prompt.content,
                kind=prompt.kind,
                spec_version=prompt.spec_version,
                attachments=prompt.attachments,
            )
            prompt.status, prompt.note = "retried", None
            self.save(prompt)  # if this fails, the copy below is what counts anyway
            return copy
        old = prompt.status, prompt.note
        prompt.status, prompt.note = "done", None
        problem = self.save(prompt)
        if problem is not None:
            prompt.status, prompt.note = old
            raise NotSavedError(problem)
        return prompt

    def can_continue(self, message: Message) -> bool:
        """Whether `message` is a reply cut at its token limit that can be continued now."""
        return (
            isinstance(message, AssistantMessage)
            and message.status == "cut"
            and not is_summary(message)
            and any(m is message for m in self.messages)
        )

    def continue_reply(self, message: AssistantMessage) -> Reply:
        """Ask the model of a reply cut at its token limit to go on; the text grows in place.

        The reply is saved as streaming first, so a crash keeps it (interrupted) with whatever
        the continuation added. Raises BusyError, ConversationError, NotSavedError.
        """
        if self.is_streaming:
            raise BusyError("A reply is still arriving: stop it first (Escape).")
        if not self.can_continue(message):
            raise ConversationError("Only a reply cut at its token limit can be continued.")
        index = next(i for i, m in enumerate(self.messages) if m is message)
        prompt = prompt_of(self.messages, message)
        if prompt is None:
            raise ConversationError("This reply answers no prompt, so it cannot be continued.")
        before = (message.status, message.content, message.note)
        continuation = Continuation(
            message=message,
            model=self._writer_of(message),
            history=build_history(self.messages[:index], self.pane),
            input_tokens=message.input_tokens,
            output_tokens=message.output_tokens,
            duration_s=message.duration_s,
            generation_s=message.generation_s,
        )
        # Claude refuses an assistant turn that ends in white space; the text goes on from here.
        message.content = message.content.rstrip()
        message.status, message.note = "streaming", None
        problem = self.save(message)
        if problem is not None:
            message.status, message.content, message.note = before
            raise NotSavedError(problem)
        self.current = Reply(self, prompt, continuing=continuation)
        return self.current

    def _writer_of(self, message: AssistantMessage) -> ModelRef:
        """The model that wrote `message`: the pane's, or the first tier listing its name."""
        name = message.model or self.model.name
        if name == self.model.name:
            return self.model
        for tier, spec in self.settings.tiers.items():
            if name in spec.models:
                return ModelRef(spec.provider, name, tier)
        return ModelRef(self.model.provider, name, self.model.tier)

    def cancel(self, reason: str = "Stopped by you") -> bool:
        """Stop the reply under way (its text so far is kept); False if there is none."""
        return self.current is not None and self.current.cancel(reason)

    async def stop(self, reason: str = "Stopped when workbench closed") -> None:
        """Stop the reply under way and wait until what arrived is saved (quit, switch)."""
        reply = self.current
        if reply is not None:
            reply.cancel(reason)
            await reply.wait()

    def reply_ended(self, reply: Reply) -> None:
        """Called by the reply as it is saved."""
        if self.current is reply:
            self.current = None

    # -- what is sent -----------------------------------------------------------------------

    def history_for(self, prompt: UserMessage) -> list[ChatMessage]:
        """The turns sent to answer `prompt` (everything up to it)."""
        index = next(i for i, m in enumerate(self.messages) if m is prompt)
        return build_history(self.messages[: index + 1], self.pane)

    def request_tokens(self, prompt: UserMessage) -> int:
        """About how many tokens answering `prompt` sends (system prompt included)."""
        return history_tokens(self.system_prompt, self.history_for(prompt))

    async def prepare(self, reply: Reply) -> list[ChatMessage]:
        """Load the prompt's attachments, compress older turns if needed; the turns to send."""
        prompt = reply.prompt
        if self.project_root is not None and any(
            entry.pending for entry in prompt.attachments or []
        ):
            prompt.attachments = await load_entries(
                prompt.attachments or [],
                self.project_root,
                summarize_over_bytes=int(self.settings.project.summarize_over_kb * 1024),
                ask=self.ask_fast,
                progress=lambda text: reply.emit(Progress(text)),
            )
            reply.save(prompt)
            reply.emit(PromptChanged(prompt))
        history = self.history_for(prompt)
        if self.pane == "explore" and await self._compress_older(reply, history):
            history = self.history_for(prompt)
        tokens = history_tokens(self.system_prompt, history)
        budget = context_budget(self.settings, self.model)
        if self.model.provider == "ollama" and tokens > budget:
            reply.emit(
                Notice(
                    f"This request is about {tokens:,} tokens, more than the {budget:,} that "
                    f"{self.model.name} reads (num_ctx): Ollama will drop the start of it. "
                    "Attach less, or set num_ctx for the tier (or the model) in the config.",
                    title="Larger than the context",
                )
            )
        return history

    async def _compress_older(self, reply: Reply, history: list[ChatMessage]) -> bool:
        """Summarize older turns when the request nears the window; True if it did."""
        budget = context_budget(self.settings, self.model)
        if (
            history_tokens(self.system_prompt, history)
            <= self.settings.project.compress_at * budget
        ):
            return False
        prompt = reply.prompt
        index = next(i for i, m in enumerate(self.messages) if m is prompt)
        older = to_compress(self.messages, index)
        if not older:
            return False
        reply.emit(Progress(f"summarizing {len(older)} older messages with the fast model…"))
        previous = [m for m in self.messages[:index] if is_summary(m) and m.covers]
        text = conversation_text(older, previous[-1].content if previous else None)
        summary = AssistantMessage(
            id=new_id(),
            content=await self.ask_fast(COMPRESS_PROMPT, text),
            model=self.model.name,
            created=now_iso(),
            kind="summary",
            covers=older[-1].id,
            note=f"Stands for the {len(older)} messages above it in what is sent to the model.",
        )
        index = next(i for i, m in enumerate(self.messages) if m is prompt)
        self.messages.insert(index, summary)
        reply.save(summary)
        reply.emit(Inserted(summary, prompt, tuple(m.id for m in older)))
        return True

    async def ask_fast(self, instructions: str, text: str) -> str:
        """A one-off answer from the fast tier (small-model chores); never leaves the machine."""
        model = (
            self.model if self.pane == "explore" else models_for_pane(self.settings, "explore")[0]
        )
        return await ask_once(self.router, model, instructions, text)
