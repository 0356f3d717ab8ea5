"""One chat message: a header line, the markdown body, and a note when it was cut short."""

from __future__ import annotations

import textwrap

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message as TextualMessage
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownBlock, MarkdownFence

from workbench.chat.large_text import PlainTail, is_too_large
from workbench.clipboard import copy_text
from workbench.markdown_source import code_blocks, reply_parser, source_lines
from workbench.project.attach import describe_entry
from workbench.session.model import RETRYABLE, Message, UserMessage, is_spec, is_summary
from workbench.widgets.message_headers import header_text, spec_summary, tool_header


class PlainBody(Static):
    """A message too large for markdown: a heading saying so, then its last lines as text."""

    DEFAULT_CSS = """
    PlainBody { padding: 0 1 1 1; width: 1fr; }
    """

    def __init__(self, tail: PlainTail) -> None:
        super().__init__(classes="message-plain")
        self.show(tail)

    def show(self, tail: PlainTail) -> None:
        """Show the tail as it is now (model text: never markup)."""
        heading = Content.styled(tail.heading(), "italic dim")
        self.update(Content.assemble(heading, "\n", tail.shown()))


class MessageView(Vertical, can_focus=True):
    """A focusable message in a chat pane; `p` promotes it into the spec."""

    # State classes sit on the header, not on the message: toggling a class restyles the
    # whole subtree below it, and a long reply has hundreds of markdown widgets.
    DEFAULT_CSS = """
    MessageView {
        height: auto;
        layout: stream;
        margin: 0;
        padding: 0 1 0 0;
        border-left: blank;
        & > .message-header { color: $text-muted; padding: 0 0 0 1; }
        & > .message-header.-user { color: $accent; }
        & > .message-header.-error { color: $error; text-style: bold; }
        & > .message-header.-interrupted { color: $warning; }
        & > .message-header.-failed { color: $error; }
        & > .message-header.-tool { color: $text-muted; }
        & > .tool-output { padding: 0 1 1 3; color: $text-muted; }
        & > .message-header.-promoted { text-style: italic; }
        & > .message-header.-flash { background: $accent; color: $background; }
        & > Markdown { padding: 0 1 0 1; margin: 0; background: transparent; layout: stream; }
        & > .message-text { padding: 0 1 1 1; }
        /* Long code lines scroll sideways instead of being cut off without a sign. */
        & MarkdownFence { overflow-x: auto; scrollbar-size-horizontal: 1; }
        & MarkdownFence.-picked { outline-left: thick $accent; }
        & > .message-note { color: $warning; padding: 0 0 0 1; }
        & > .message-attachments { color: $text-muted; padding: 0 1 1 1; }
        &.-error { border-left: outer $error; }
        &.-after-tools { margin-top: 1; }
        &:focus { border-left: outer $primary; background: $primary 10%; }
    }
    """

    BINDINGS = [
        Binding(
            "p",
            "promote",
            "Promote",
            tooltip="Append this message (or the picked block, or the selection) to the spec",
            id="message.promote",
        ),
        Binding(
            "P",
            "promote_to",
            "Promote to…",
            tooltip="Choose the spec section the message goes to, then promote it",
            id="message.promote_to",
        ),
        Binding(
            "b",
            "next_block",
            "Block",
            tooltip="Pick the next code block of this message",
            id="message.block",
        ),
        Binding(
            "s",
            "select_source",
            "Select",
            tooltip="Open the message's markdown source to select part of it from the keyboard",
            id="message.select",
        ),
        Binding(
            "c",
            "copy",
            "Copy",
            tooltip="Copy the message (or the picked block) as markdown",
            id="message.copy",
        ),
        Binding(
            "r",
            "retry",
            "Retry",
            tooltip="Send the prompt that failed again (the server may be back)",
            id="message.retry",
        ),
        Binding(
            "m",
            "continue_reply",
            "More",
            tooltip="Ask the model to go on with this reply, cut at its token limit",
            id="message.continue",
        ),
        Binding(
            "enter",
            "toggle_output",
            "Show/hide",
            tooltip="Show or hide what the tool returned",
            id="message.expand",
        ),
        Binding("up,k", "focus_neighbour(-1)", "Previous", show=False),
        Binding("down,j", "focus_neighbour(1)", "Next", show=False),
        Binding("i", "focus_input", "Type", show=False),
    ]

    class PromoteRequested(TextualMessage):
        """The user asked to promote (part of) this message into the spec."""

        def __init__(
            self, view: MessageView, *, choose_section: bool = False, select: bool = False
        ) -> None:
            super().__init__()
            self.view = view
            """The message view to promote."""
            self.choose_section = choose_section
            """True to ask which spec section the note goes to."""
            self.select = select
            """True to let the user select part of the source first."""

    class RetryRequested(TextualMessage):
        """The user asked to send a failed prompt again."""

        def __init__(self, view: MessageView) -> None:
            super().__init__()
            self.view = view

    class ContinueRequested(TextualMessage):
        """The user asked the model to go on with this reply (cut at its token limit)."""

        def __init__(self, view: MessageView) -> None:
            super().__init__()
            self.view = view

    class Navigate(TextualMessage):
        """Move focus to the previous (-1) or next (+1) message, or to the input."""

        def __init__(self, view: MessageView, step: int) -> None:
            super().__init__()
            self.view = view
            self.step = step

    def __init__(
        self,
        message: Message,
        pane: str,
        *,
        promoted: bool = False,
        retry_of: UserMessage | None = None,
        streaming: bool = False,
    ) -> None:
        super().__init__(classes="-error" if message.role == "error" else "")
        self.message = message
        """The transcript record shown here (content is the markdown source)."""
        self.pane = pane
        self.retry_of = retry_of
        """For a problem notice: the failed prompt it reports, which `r` retries from here too."""
        self.compressed = False
        """True when a summary stands for this message in what is sent: shown collapsed."""
        self.expanded = not is_summary(message)
        """Whether the body is shown (summaries and compressed messages start collapsed)."""

        self.promoted = promoted
        """True once this message has been promoted into the spec."""
        self.streaming = streaming
        """The body starts empty and is streamed into (the record may already be ahead)."""
        self.block_index: int | None = None
        """The code block picked with `b` (promote and copy take it instead of the message)."""

    def _header(self) -> Content:
        if self.message.role == "tool":
            outputs = self.query(".tool-output")
            expanded = bool(outputs) and outputs.first().display
            return Content(tool_header(self.message, expanded=expanded))
        text = header_text(self.message, self.pane)
        if self.compressed:
            text += " · summarized below" + ("" if self.expanded else " (Enter shows)")
        elif is_summary(self.message) and not self.expanded:
            text += " (Enter shows)"
        if self.promoted:
            text += " · ✓ in spec"
        if self.block_index is not None:
            count = len(code_blocks(self.message.content))
            text += f" · block {self.block_index + 1}/{count} picked (b: next, p/c: use it)"
        return Content(text)

    def _attachments_text(self) -> str:
        message = self.message
        entries = message.attachments if message.role == "user" else None
        return "\n".join(describe_entry(entry) for entry in entries or [])

    def compose(self) -> ComposeResult:
        promoted = " -promoted" if self.promoted else ""
        message = self.message
        yield Static(self._header(), classes=f"message-header -{message.role}{promoted}")
        if is_spec(message):
            yield Markdown(
                spec_summary(message.content), open_links=False, parser_factory=reply_parser
            )
        elif message.role == "user" and message.kind == "critique":
            yield Static(
                Content("Review the spec against this exploration."), classes="message-text"
            )
        elif message.role == "tool":
            # Tool output is data, never markdown: shown as plain text when expanded.
            output = Static(Content(message.content), classes="tool-output")
            output.display = False
            yield output
        elif message.role == "user":
            # What the user typed is shown as typed: line breaks and indentation kept.
            yield Static(Content(message.content), classes="message-text")
            if message.attachments:
                yield Static(Content(self._attachments_text()), classes="message-attachments")
        elif not self.streaming and is_too_large(message.content):
            yield PlainBody(PlainTail(message.content))
        else:
            # Streamed text is appended through the same parser (Markdown.append uses the factory).
            body = "" if self.streaming else message.content
            yield Markdown(body, open_links=False, parser_factory=reply_parser)
        yield Static(Content(message.note or ""), classes="message-note")

    def on_mount(self) -> None:
        self.refresh_state()

    @property
    def markdown(self) -> Markdown:
        """The widget that renders the body (streamed into while a reply arrives)."""
        return self.query_one(Markdown)

    @property
    def plain(self) -> bool:
        """True when the body is shown as plain text (the message is too large for markdown)."""
        return bool(self.query(PlainBody))

    async def show_plain(self, tail: PlainTail) -> PlainBody:
        """Show the body as plain text from now on (a streamed reply grew too large)."""
        for body in self.query(PlainBody).results(PlainBody):
            body.show(tail)
            return body
        body = PlainBody(tail)
        body.display = self.expanded
        markdown = self.query(Markdown)
        if markdown:
            # Hidden, not removed: removing thousands of markdown blocks at once would stall
            # the keys for a moment in the middle of the stream.
            markdown.first().display = False
            markdown.first().add_class("-replaced")
            await self.mount(body, after=markdown.first())
        else:
            await self.mount(body, before=self.query_one(".message-note"))
        return body

    def refresh_state(self) -> None:
        """Re-render the header, note and state classes from `self.message`."""
        message = self.message
        header = self.query_one(".message-header", Static)
        header.update(self._header())
        header.set_class(message.status in ("interrupted", "cut"), "-interrupted")
        header.set_class(message.status in ("failed", "not_sent"), "-failed")
        self.refresh_bindings()
        note = self.query_one(".message-note", Static)
        note.update(Content(message.note or ""))
        note.display = bool(message.note)
        for attached in self.query(".message-attachments").results(Static):
            attached.update(Content(self._attachments_text()))
        if self.message.role != "tool":
            for body in self.query("Markdown, .message-text, .message-attachments, PlainBody"):
                body.display = self.expanded and not body.has_class("-replaced")

    def flash(self) -> None:
        """Highlight the header for a moment (after a jump from the spec)."""
        header = self.query_one(".message-header", Static)
        header.add_class("-flash")
        self.set_timer(1.5, lambda: header.remove_class("-flash"))

    def mark_promoted(self) -> None:
        """Show that this message has been promoted into the spec."""
        self.promoted = True
        header = self.query_one(".message-header", Static)
        header.add_class("-promoted")
        header.update(self._header())

    def selected_source(self) -> tuple[str, str]:
        """What promote and copy take, as markdown source, and what to call it.

        A mouse selection inside the message wins (the source lines of the selected blocks),
        then a block picked with `b`, then the whole message.
        """
        content = self.message.content
        selected = self._selected_lines()
        if selected is not None:
            return source_lines(content, *selected), "the selection"
        blocks = code_blocks(content)
        if self.block_index is not None and self.block_index < len(blocks):
            block = textwrap.dedent(source_lines(content, *blocks[self.block_index]))
            return block, f"code block {self.block_index + 1}"
        return content, "the message"

    def _selected_lines(self) -> tuple[int, int] | None:
        if self.message.role == "user":  # a spec is a user turn too
            return None
        try:
            markdown = self.markdown
        except NoMatches:
            return None
        ranges = []
        for widget in self.screen.selections:
            # The selected widget may be a block or a part of one (a fence's code label).
            node = widget
            while node is not None and not isinstance(node, MarkdownBlock):
                node = node.parent  # type: ignore[assignment]
            if node is not None and markdown in node.ancestors:
                ranges.append(node.source_range)
        if not ranges:
            return None
        return min(start for start, _ in ranges), max(end for _, end in ranges)

    @property
    def retry_target(self) -> UserMessage | None:
        """The failed prompt `r` would send again, if any."""
        if self.message.role == "user" and self.message.status in RETRYABLE:
            return self.message
        if self.retry_of is not None and self.retry_of.status in RETRYABLE:
            return self.retry_of
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Retry" is offered (and shown in the footer) only on a failed prompt or its notice.
        if action == "retry":
            return self.retry_target is not None
        if action == "continue_reply":
            return self.message.role == "assistant" and self.message.status == "cut"
        if action == "toggle_output":
            return self.message.role == "tool" or is_summary(self.message) or self.compressed
        return True

    def set_compressed(self, compressed: bool) -> None:
        """Show this message collapsed: a summary now stands for it in what is sent."""
        self.compressed = compressed
        self.expanded = not compressed
        self.refresh_state()

    def action_toggle_output(self) -> None:
        """Show or hide a tool call's output, a summary, or a summarized message."""
        if self.message.role != "tool":
            self.expanded = not self.expanded
            self.refresh_state()
            return
        output = self.query_one(".tool-output", Static)
        output.display = not output.display
        header = self.query_one(".message-header", Static)
        header.update(Content(tool_header(self.message, expanded=output.display)))
        if output.display:
            self.call_after_refresh(output.scroll_visible)

    def action_retry(self) -> None:
        if self.retry_target is not None:
            self.post_message(self.RetryRequested(self))

    def action_continue_reply(self) -> None:
        if self.message.role == "assistant" and self.message.status == "cut":
            self.post_message(self.ContinueRequested(self))

    def action_promote(self) -> None:
        self.post_message(self.PromoteRequested(self))

    def action_select_source(self) -> None:
        if self.message.role == "error" or is_spec(self.message):
            return
        self.post_message(self.PromoteRequested(self, select=True))

    def action_promote_to(self) -> None:
        self.post_message(self.PromoteRequested(self, choose_section=True))

    def action_next_block(self) -> None:
        """Pick the next code block (after the last one, none: the whole message again)."""
        if self.plain:
            self.notify("This message is too large to lay out: s opens all of it, c copies it.")
            return
        blocks = code_blocks(self.message.content)
        if not blocks or self.message.role != "assistant":
            self.notify("This message has no code blocks.")
            return
        if self.block_index is None:
            self.block_index = 0
        elif self.block_index + 1 < len(blocks):
            self.block_index += 1
        else:
            self.block_index = None
        fences = list(self.markdown.query(MarkdownFence))
        for index, fence in enumerate(fences):
            fence.set_class(index == self.block_index, "-picked")
        if self.block_index is not None and self.block_index < len(fences):
            fences[self.block_index].scroll_visible()
        self.query_one(".message-header", Static).update(self._header())

    def action_copy(self) -> None:
        """Copy the message, the picked block or the selection, as markdown."""
        text, what = self.selected_source()
        copy_text(self.app, text, what)

    def action_focus_neighbour(self, step: int) -> None:
        self.post_message(self.Navigate(self, step))

    def action_focus_input(self) -> None:
        self.post_message(self.Navigate(self, 0))

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        # Links in model output are never opened on a click: they are shown to be copied.
        event.stop()
        self.notify(event.href, title="Link (not opened)", markup=False)
