"""The fast model as an editor: it gets a file region and one edit, and returns the region changed.

Used for the edits no direct match can make (a SEARCH text that is not in the file, a
plain-language `model_edit`). Local models only: the region never leaves the machine here.
Core module: never imports textual.
"""

from __future__ import annotations

import re

from workbench.apply.stage import ModelEditError
from workbench.config import ModelRef
from workbench.providers.base import ChatMessage, ProviderError, TextDelta, Usage
from workbench.providers.chain import Switched, stream_chain
from workbench.providers.fallback import fallback_chain
from workbench.providers.router import ProviderRouter
from workbench.textclean import sanitize

EDIT_INSTRUCTIONS = (
    "You edit one region of a source file. Carry out the change below on the region and reply "
    "with the whole region after the change, in one fenced code block, and nothing else. Keep "
    "every line the change does not touch exactly as it is, indentation included."
)
_FENCE = re.compile(r"^(`{3,}|~{3,})")


def fenced(text: str) -> str:
    """`text` in a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{fence}\n{body}{fence}\n"


def first_code_block(reply: str) -> str | None:
    """The content of the reply's first fenced block (None when it has none)."""
    lines = reply.splitlines(keepends=True)
    for i, line in enumerate(lines):
        opening = _FENCE.match(line.strip())
        if not opening:
            continue
        fence = opening.group(1)
        for j in range(i + 1, len(lines)):
            closing = lines[j].strip()
            if closing.startswith(fence[0] * len(fence)) and not closing.strip(fence[0]):
                return "".join(lines[i + 1 : j])
        return None  # never closed: the answer was cut
    return None


class FastModelEditor:
    """Carries out edits with a local model (its fallbacks too, but never a cloud model)."""

    def __init__(self, router: ProviderRouter, model: ModelRef) -> None:
        self.router = router
        self.model = model
        self._answered_by = model.name

    @property
    def name(self) -> str:
        """The model that made the last edit."""
        return self._answered_by

    async def edit(self, path: str, region: str, request: str) -> str:
        """`region` of `path` with `request` carried out; ModelEditError when it cannot be."""
        prompt = (
            f"{EDIT_INSTRUCTIONS}\n\nFile: {path}\nRegion:\n{fenced(region)}\nChange:\n{request}"
        )
        settings = self.router.settings
        chain = [m for m in fallback_chain(settings, self.model) if m.provider == "ollama"]
        self._answered_by = self.model.name

        async def local_only(_model: ModelRef, _attempts: object) -> bool:
            return False

        parts: list[str] = []
        cut = False
        try:
            async for event in stream_chain(
                self.router,
                chain,
                [ChatMessage("user", prompt)],
                system_for=lambda _ref: None,
                options_for=settings.options_for,
                consent=local_only,
            ):
                if isinstance(event, Switched):
                    self._answered_by = event.model.name
                elif isinstance(event, TextDelta):
                    parts.append(event.text)
                elif isinstance(event, Usage):
                    cut = cut or event.stop_reason in ("length", "max_tokens")
        except ProviderError as error:
            raise ModelEditError(f"{self._answered_by}: {error.message}") from None
        if cut:
            raise ModelEditError(f"{self._answered_by}'s answer was cut at its token limit")
        block = first_code_block(sanitize("".join(parts)))
        if block is None:
            raise ModelEditError(f"{self._answered_by}'s answer held no complete code block")
        return block
