"""Compression bookkeeping and stored attachments (the core behind the Explore chores)."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.project import make_project
from workbench.config import ModelRef, Settings
from workbench.project.attach import (
    as_attachment,
    describe_entry,
    load_entries,
    needs_summary,
    pending_attachments,
    with_attachments,
)
from workbench.project.compress import (
    OLLAMA_DEFAULT_CONTEXT,
    context_budget,
    covered_upto,
    to_compress,
)
from workbench.session.model import AssistantMessage, AttachedFile, Message, UserMessage

FAST = ModelRef("ollama", "qwen2.5-coder:7b", "fast")


def turns(count: int) -> list[Message]:
    kinds = (UserMessage, AssistantMessage)
    return [kinds[i % 2](id=f"m{i}", content=f"text {i}") for i in range(count)]


def test_the_budget_is_what_ollama_really_gives_the_model() -> None:
    settings = Settings()
    assert context_budget(settings, FAST) == OLLAMA_DEFAULT_CONTEXT
    settings.tiers["fast"].num_ctx = 16384
    assert context_budget(settings, FAST) == 16384


def test_older_turns_are_compressed_once_and_recent_ones_kept() -> None:
    messages = turns(9)  # m8 is the new question
    older = to_compress(messages, 8)
    assert [m.id for m in older] == ["m0", "m1", "m2", "m3"]  # m4..m7 stay whole
    messages.insert(8, AssistantMessage(id="s", content="sum", kind="summary", covers="m3"))
    assert covered_upto(messages) == 4
    assert to_compress(messages, 9) == []  # only 4 uncovered turns before the question


def test_an_attached_file_is_stored_and_sent_with_its_turn(tmp_path: Path) -> None:
    import asyncio

    root = make_project(tmp_path)
    entries = pending_attachments("see @src/app.py and @assets/logo.png, and @nope")
    assert [e.path for e in entries] == ["src/app.py", "assets/logo.png", "nope"]
    assert needs_summary(AttachedFile(path="data/big.py"), root, 50 * 1024)
    assert not needs_summary(AttachedFile(path="src/app.py"), root, 50 * 1024)

    async def never(_instructions: str, _text: str) -> str:
        raise AssertionError("no file here needs a summary")

    loaded = asyncio.run(load_entries(entries, root, summarize_over_bytes=10**9, ask=never))
    assert loaded[0].text is not None and "def main" in loaded[0].text
    assert loaded[0].error is None
    assert loaded[1].error is not None and "binary" in loaded[1].error
    assert loaded[2].error is not None and "no such file" in loaded[2].error
    sent = with_attachments("see these", loaded)
    assert sent.startswith("see these\n\nsrc/app.py (") and "def main" in sent
    assert as_attachment(loaded[1]) is None
    assert describe_entry(loaded[0]).startswith("📎 src/app.py · ")
    assert describe_entry(loaded[2]).startswith("✗ @nope: ")


def test_a_big_file_is_summarized_in_parts(tmp_path: Path) -> None:
    import asyncio

    root = make_project(tmp_path)
    asked: list[str] = []

    async def ask(instructions: str, _text: str) -> str:
        asked.append(instructions)
        return "constants"

    [entry] = asyncio.run(
        load_entries(
            [AttachedFile(path="data/big.py")], root, summarize_over_bytes=50 * 1024, ask=ask
        )
    )
    assert entry.summary is True and entry.text is not None and "constants" in entry.text
    assert len(asked) > 1  # 200 KB does not fit a small model in one go
    assert asked[0].startswith("This is part 1 of")
