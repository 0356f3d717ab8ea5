"""The Explore pane's access to the project: read-only tools when the model can call them.

A model with tool support (from `/api/show` capabilities) gets the tools of
`workbench.project.tools`, confined to the project root; any other model, or one whose server
refuses tools, is asked in plain chat (it sees only the files attached with `@path`).
Core module: never imports textual.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from workbench.config import ModelRef, Settings
from workbench.project.background import Cancel, run_cancellable
from workbench.project.text_search import PATTERN_TIME_LIMIT_S
from workbench.project.tools import run_tool, tool_schemas
from workbench.providers.base import ChatMessage, ToolCall
from workbench.providers.ollama import ToolsUnsupportedError
from workbench.providers.router import ProviderRouter
from workbench.providers.tool_loop import ToolOutcome, chat_with_tools
from workbench.session.model import ToolMessage

TOOLS_PROMPT = (
    "\n\nYou can look at the user's project yourself with read-only tools: list_dir, "
    "read_file (with a line range for big files), search (a regular expression over the "
    "files), git_log and git_show. Paths are relative to the project root. Use them to check "
    "before you answer, and name the files and lines you found."
)
"""Added to the system prompt when the model gets the tools."""


def describe_call(name: str, arguments: dict[str, Any]) -> str:
    """`read_file path=src/app.py start_line=10`: a tool call on one line."""
    args = " ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value)}"
        for key, value in arguments.items()
        if value is not None
    )
    return f"{name} {args}".strip()


def tool_call_text(message: ToolMessage) -> str:
    """`read_file path=src/app.py`: the call a saved tool message records."""
    try:
        arguments = json.loads(message.tool_args or "{}")
    except ValueError:
        arguments = {}
    return describe_call(message.tool_name or "?", arguments if isinstance(arguments, dict) else {})


class ProjectAccess:
    """Opens each model's reply with the project's tools, or without when it cannot use them."""

    def __init__(self, router: ProviderRouter, settings: Settings, root: Path) -> None:
        self.router = router
        self.settings = settings
        self.root = root
        self.search_time_limit_s = PATTERN_TIME_LIMIT_S
        """The Python search engine is stopped after this long (a pattern can take for ever)."""
        self._supports: dict[str, bool] = {}

    def known_support(self, model: ModelRef) -> bool | None:
        """What is known about the model's tool support (None until asked)."""
        if model.provider != "ollama":
            return False
        return self._supports.get(model.name)

    async def supports_tools(self, model: ModelRef) -> bool:
        """Whether the model can call tools (asked once per model, from its capabilities)."""
        if model.provider != "ollama":
            return False
        if model.name not in self._supports:
            known = await self.router.ollama.supports_tools(model.name)
            if known is None:
                return True  # unknown (old server): offer them; a refusal falls back below
            self._supports[model.name] = known
        return self._supports[model.name]

    async def run(self, call: ToolCall) -> ToolOutcome:
        """Run one tool call in a daemon thread (file reads and git must not block the UI).

        Cancelling the awaiting task (Escape, quit) returns at once and kills the search's
        child process; a read that never returns is left behind without holding up the exit.
        """

        def call_tool(cancel: Cancel) -> ToolOutcome:
            result = run_tool(
                self.root,
                call.name,
                call.arguments,
                cancel=cancel,
                search_time_limit=self.search_time_limit_s,
            )
            return ToolOutcome(result.ok, result.text)

        return await run_cancellable(call_tool)

    def opener(
        self,
        history: list[ChatMessage],
        *,
        system_for: Callable[[ModelRef], str | None],
        without_tools: Callable[[ModelRef], None],
    ) -> Callable[[ModelRef], AsyncIterator[Any]]:
        """A `stream_chain` opener: the tool loop for capable models, plain chat otherwise.

        `without_tools(model)` is called when a model answers without tools, so the pane can
        say so.
        """

        async def open_stream(model: ModelRef) -> AsyncIterator[Any]:
            options = self.settings.options_for(model)
            system = system_for(model) or ""
            if await self.supports_tools(model):
                provider = self.router.ollama
                try:
                    async for event in chat_with_tools(
                        provider,
                        model.name,
                        history,
                        system=system + TOOLS_PROMPT,
                        options=options,
                        tools=tool_schemas(),
                        run=self.run,
                    ):
                        yield event
                    return
                except ToolsUnsupportedError:
                    self._supports[model.name] = False
            without_tools(model)
            plain = self.router.get(model.provider).stream_chat(
                model.name, history, system=system or None, options=options
            )
            async for plain_event in plain:
                yield plain_event

        return open_stream
