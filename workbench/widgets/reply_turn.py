"""One reply in a chat pane: stream it down the fallback chain, show tool steps, keep what arrived.

Functions over a `ChatPane`; `ChatPane._stream_reply` runs `stream_reply` in its worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import TYPE_CHECKING

from workbench.config import ModelRef
from workbench.providers.base import ErrorKind, ProviderError, TextDelta, Usage
from workbench.providers.chain import Attempt, Switched, stream_chain
from workbench.providers.fallback import fallback_chain
from workbench.providers.tool_loop import ToolStep
from workbench.session.model import Message
from workbench.session.transcript import new_id, now_iso
from workbench.textclean import sanitize
from workbench.widgets.failed_prompts import mark_failed, no_reply_note, show_error
from workbench.widgets.message_view import MessageView
from workbench.widgets.pane_views import view_for
from workbench.widgets.reply_streamer import ReplyStreamer
from workbench.widgets.turn_prep import history_for

if TYPE_CHECKING:
    from workbench.widgets.chat_pane import ChatPane


def _joined(*notes: str | None) -> str:
    return " ".join(note for note in notes if note)


async def stream_reply(pane: ChatPane, prompt: Message) -> None:
    """Stream the reply to `prompt` into a new view; save it, and any failure, when it ends."""
    model = pane.model
    reply = Message(
        id=new_id(),
        role="assistant",
        content="",
        model=model.name,
        status="streaming",
        created=now_iso(),
        spec_version=answered_version(pane.messages),
    )
    view = MessageView(reply, pane.pane)
    await pane.message_list.mount(view)
    streamer = ReplyStreamer(
        pane,
        reply,
        view.markdown,
        transcript=pane.transcript,
        checkpoint_interval_s=pane.checkpoint_interval_s,
    )
    error: ProviderError | None = None
    settings = pane.router.settings
    try:
        history = await history_for(pane, prompt)

        def system_for(ref: ModelRef) -> str:
            return settings.system_prompt_for(ref, pane.pane)

        def without_tools(ref: ModelRef) -> None:
            reply.note = _joined(
                reply.note, f"{ref.name} cannot call tools: it saw only attached files."
            )
            pane.update_title()

        async def cloud_consent(model: ModelRef, attempts: tuple[Attempt, ...]) -> bool:
            return pane.consent is not None and await pane.consent(model, attempts)

        access = pane.project_access if pane.tools_enabled else None
        events = stream_chain(
            pane.router,
            fallback_chain(settings, model),
            history,
            system_for=system_for,
            options_for=settings.options_for,
            consent=cloud_consent,
            open_stream=access.opener(history, system_for=system_for, without_tools=without_tools)
            if access is not None
            else None,
        )
        async for event in events:
            if isinstance(event, TextDelta):
                await streamer.feed(event.text)
            elif isinstance(event, ToolStep):
                await show_tool_step(pane, event, before=view)
            elif isinstance(event, Usage):
                reply.model = sanitize(event.model) if event.model else reply.model
                reply.input_tokens = event.input_tokens
                reply.output_tokens = event.output_tokens
                reply.duration_s = round(event.duration_s, 2)
            elif isinstance(event, Switched):
                reply.model, reply.fallback_from = event.model.name, model.name
                reply.note = f"Fallback: {event.summary}."
                view.refresh_state()
        reply.status = "done"
    except ProviderError as failure:
        error = ProviderError(failure.kind, sanitize(failure.message))
        reply.status = "interrupted"
        reply.note = _joined(reply.note, "Cut short: the part that arrived is kept.")
    except asyncio.CancelledError:
        reply.status = "interrupted"
        reason = pane.cancel_reason or "Stopped"
        reply.note = _joined(reply.note, f"{reason}: the part that arrived is kept.")
        keep_reply(pane, reply, streamer)
        with contextlib.suppress(Exception):
            await show_result(pane, reply, view, streamer, None)
        raise
    except Exception as failure:  # a bug or an unexpected client error: say it, keep the text
        error = ProviderError(ErrorKind.OTHER, sanitize(f"Unexpected error: {failure!r}"))
        reply.status = "interrupted"
        reply.note = _joined(reply.note, "Cut short: the part that arrived is kept.")
    keep_reply(pane, reply, streamer)
    await show_result(pane, reply, view, streamer, error)


async def show_tool_step(pane: ChatPane, step: ToolStep, *, before: MessageView) -> None:
    """Save a tool call and its result, and show it (collapsed) above the reply."""
    message = Message(
        id=new_id(),
        role="tool",
        content=sanitize(step.result),
        status="done" if step.ok else "error",
        created=now_iso(),
        tool_name=sanitize(step.call.name),
        tool_args=sanitize(json.dumps(step.call.arguments, ensure_ascii=False)),
    )
    pane.messages.append(message)
    pane.persist(message)
    await pane.message_list.mount(view_for(pane, message), before=before)
    before.add_class("-after-tools")


def answered_version(messages: list[Message]) -> int | None:
    """The spec version the next reply answers: that of the last spec sent (Implement)."""
    sent = [m for m in messages if m.kind == "spec"]
    return sent[-1].spec_version if sent else None


def keep_reply(pane: ChatPane, reply: Message, streamer: ReplyStreamer) -> None:
    """Save the finished reply at once, before anything else can be awaited or cancelled."""
    reply.content = streamer.finish()
    pane.reply_ended()
    if not reply.content and reply.status != "done":
        # Nothing came back: mark the prompt now, before anything else can be awaited,
        # so a quit or a crash right after still leaves it retryable.
        mark_failed(pane, no_reply_note(pane))
    if reply.content or reply.status == "done":
        pane.messages.append(reply)
        if not pane.persist(reply):
            reply.note = (reply.note or "") + " Not saved to disk (see the error)."


async def show_result(
    pane: ChatPane,
    reply: Message,
    view: MessageView,
    streamer: ReplyStreamer,
    error: ProviderError | None,
) -> None:
    """Finish rendering the reply, then show what went wrong (if anything)."""
    await streamer.close()
    if reply.content or reply.status == "done":
        view.refresh_state()
    else:
        await view.remove()
        if reply.status == "interrupted" and error is None:
            pane.notify("Stopped before any reply arrived: r on your message sends it again.")
    if error is not None:
        await show_error(pane, error, had_reply=bool(reply.content))
    pane.update_title()
    pane.post_message(pane.ReplyFinished(pane, reply))
