"""Read-only access to the user's project: file listing, path confinement, attachments, tools.

Everything here is confined to the project root: paths that leave it (absolute paths elsewhere,
`..`, symlinks whose target is outside) are refused with a `ToolError` a model can act on.
Core package: never imports textual.
"""

from __future__ import annotations

from workbench.project.attachments import (
    Attachment,
    attachment_text,
    find_references,
    load_attachment,
)
from workbench.project.files import (
    MAX_LISTED_FILES,
    Listing,
    OutsideProject,
    ToolError,
    list_project_files,
    project_listing,
    relative_to_project,
    resolve_in_project,
)
from workbench.project.git import git_history, git_log, git_show
from workbench.project.tools import ToolResult, list_dir, read_file, run_tool, search, tool_schemas

__all__ = [
    "MAX_LISTED_FILES",
    "Attachment",
    "Listing",
    "OutsideProject",
    "ToolError",
    "ToolResult",
    "attachment_text",
    "find_references",
    "git_history",
    "git_log",
    "git_show",
    "list_dir",
    "list_project_files",
    "load_attachment",
    "project_listing",
    "read_file",
    "relative_to_project",
    "resolve_in_project",
    "run_tool",
    "search",
    "tool_schemas",
]
