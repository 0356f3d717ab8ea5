"""Chores the main screen gives the Explore pane: a git-history summary, a spec critique, tools.

The summary and the critique arrive as ordinary Explore replies, so they can be promoted.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.project.files import ToolError
from workbench.project.git import git_history
from workbench.spec.critique import critique_request
from workbench.spec.payload import estimate_tokens
from workbench.spec.templates import is_blank_template

if TYPE_CHECKING:
    from workbench.screens.main import MainScreen


async def git_summary(screen: MainScreen) -> None:
    """Summarize the last commits with the fast model, as an Explore message."""
    explore = screen.chat("explore")
    if explore.is_streaming:
        screen.notify("Explore is still answering: Escape in that pane stops it.")
        return
    count = screen.settings.project.git_log_commits
    root = Path(screen.session.meta.project_dir)
    try:
        log = await asyncio.to_thread(git_history, root, count)
    except ToolError as error:
        screen.notify(str(error), title="No git history", severity="warning")
        return
    entry = {
        "path": f"git log -n {count}",
        "size_bytes": len(log.encode()),
        "tokens": estimate_tokens(log),
        "text": log,
    }
    request = (
        f"Summarize the last {count} commits of this project (the git log is attached): "
        "what changed and why, which parts of the code are active, and anything a task "
        "spec about this codebase should know."
    )
    await explore.send(request, kind="git-summary", attachments=[entry])


async def critique(screen: MainScreen) -> None:
    """Ask the Explore model to review the spec; the critique arrives as an Explore reply."""
    text = screen.spec.text
    if not text.strip() or is_blank_template(text):
        screen.notify("Write the spec first: there is nothing to critique yet.")
        return
    explore = screen.chat("explore")
    if explore.is_streaming:
        screen.notify("Explore is still answering: Escape in that pane stops it.")
        return
    screen.spec.save()
    await explore.send(critique_request(text), kind="critique")


def toggle_tools(screen: MainScreen) -> None:
    """Switch the Explore pane's project tools on or off for this session."""
    explore = screen.chat("explore")
    explore.tools_on = not explore.tools_on
    screen.session.meta.tools_enabled = explore.tools_on
    try:
        screen.session.save_meta()
    except OSError as error:
        screen.notify(f"Could not save the session: {error}", severity="warning")
    explore.update_title()
    explore.check_tool_support()
    state = "on: the fast model can read the project" if explore.tools_on else "off"
    screen.notify(f"Explore tools {state}.")
