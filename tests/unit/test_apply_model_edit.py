"""The fast model as an editor, through the real ollama client against the fake server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes.ollama_server import FakeOllama
from tests.unit.helpers import tier_settings
from workbench.apply.edits import Edit, ParsedReply
from workbench.apply.model_editor import FastModelEditor, fenced, first_code_block
from workbench.apply.stage import ModelEditError, stage_reply
from workbench.config import ModelRef
from workbench.providers.router import ProviderRouter

FAST = ModelRef("ollama", "qwen2.5-coder:7b", "fast")
FILE = "def area(w, h):\n    return w * h\n"


async def edit_with(fake: FakeOllama, region: str = FILE) -> tuple[str, str]:
    router = ProviderRouter(tier_settings(fake.url))
    try:
        editor = FastModelEditor(router, FAST)
        result = await editor.edit("geo.py", region, "Rename w to width.")
        return result, editor.name
    finally:
        await router.aclose()


def test_the_answer_s_code_block_is_the_new_region(fake_ollama: FakeOllama) -> None:
    fake_ollama.reply = "Sure:\n```python\ndef area(width, h):\n    return width * h\n```\nDone."
    result, name = asyncio.run(edit_with(fake_ollama))
    assert result == "def area(width, h):\n    return width * h\n"
    assert name == "qwen2.5-coder:7b"
    [request] = fake_ollama.chat_requests()
    prompt = request["messages"][-1]["content"]
    assert "File: geo.py" in prompt and "Rename w to width." in prompt and FILE in prompt


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        (lambda f: setattr(f, "reply", "I would rename it."), "held no complete code block"),
        (lambda f: setattr(f, "done_reason", "length"), "cut at its token limit"),
        (lambda f: f.models.clear(), "not installed"),
    ],
)
def test_an_answer_that_cannot_be_used_is_a_model_edit_error(
    fake_ollama: FakeOllama, setup: object, why: str
) -> None:
    fake_ollama.reply = "```python\nx = 1\n```\n"
    setup(fake_ollama)  # type: ignore[operator]
    with pytest.raises(ModelEditError, match=why):
        asyncio.run(edit_with(fake_ollama))


def test_a_model_edit_is_staged_labelled_with_the_model(
    fake_ollama: FakeOllama, tmp_path: Path
) -> None:
    (tmp_path / "geo.py").write_text(FILE)
    fake_ollama.reply = "```python\ndef area(width, h):\n    return width * h\n```\n"
    edit = Edit(path="geo.py", kind="model_edit", format="search_replace", instruction="Rename w")

    async def run() -> list[str]:
        router = ProviderRouter(tier_settings(fake_ollama.url))
        try:
            parsed = ParsedReply(edits=[edit])
            editor = FastModelEditor(router, FAST)
            changes = await stage_reply(tmp_path, parsed, reply_id="r", editor=editor)
        finally:
            await router.aclose()
        assert not changes.failures
        return [o for h in changes.files[0].hunks for o in h.origin]

    assert asyncio.run(run()) == ["model qwen2.5-coder:7b"]


def test_fences_and_blocks() -> None:
    assert fenced("a ``` b\n") == "````\na ``` b\n````\n"
    assert first_code_block("x\n````md\n```py\n1\n```\n````\n") == "```py\n1\n```\n"
    assert first_code_block("```py\nnever closed\n") is None
