"""Export: a whole session as one markdown document that reads on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from workbench.export import export_session
from workbench.session.model import AssistantMessage, ErrorMessage, Message, UserMessage
from workbench.session.store import Session, SessionStore
from workbench.spec.promote import promote
from workbench.spec.template import new_spec

QUESTION = "where is auth?\n\n```py\n# is this it?\n```\n<b>not html</b>"
ANSWER = "# Auth\n\nIt lives in `src/auth/`.\n\n```python\n# a comment, not a heading\n```\n"
REPLY = "## src/auth/refresh.py\n\n```python\ndef refresh(): ...\n```\n"


CLASSES = {"user": UserMessage, "assistant": AssistantMessage, "error": ErrorMessage}


def msg(msg_id: str, role: str, content: str, **fields: Any) -> Message:
    return CLASSES[role](
        id=msg_id, content=content, created=f"2026-11-21T10:{msg_id[-2:]}:00+00:00", **fields
    )


def stored_session(tmp_path: Path) -> Session:
    """A session with an exploration, two sends (v1 answered, v2 interrupted) and an error."""
    store = SessionStore()
    spec = new_spec("Add refresh tokens")
    session = store.create(tmp_path / "api", spec)
    session.explore.append(msg("e01", "user", QUESTION))
    session.explore.append(
        msg("e02", "assistant", ANSWER, model="qwen2.5-coder:7b", output_tokens=48, duration_s=1.2)
    )
    spec = promote(spec, ANSWER, pane="explore", message_id="e02", model="qwen2.5-coder:7b")
    spec = spec.replace("## What I want\n", "## What I want\n\nRefresh tokens.\n")
    session.write_spec(spec)
    first = session.versions.save(spec)
    session.implement.append(msg("i01", "user", spec, kind="spec", spec_version=first))
    session.implement.append(
        msg("i02", "assistant", REPLY, model="qwen2.5-coder:14b", spec_version=first)
    )
    session.implement.append(msg("i03", "user", "and the tests?"))
    second = session.versions.save(spec + "\nAlso expire old tokens.\n")
    session.implement.append(msg("i04", "user", spec + "\nAlso expire old tokens.\n", kind="spec"))
    session.implement.append(
        msg(
            "i05",
            "assistant",
            "Partial",
            model="claude-sonnet-5-5",
            spec_version=second,
            status="interrupted",
            note="stopped by you",
        )
    )
    session.implement.append(
        msg("i06", "error", "Ollama is not running.\nRun `ollama serve`.", error_kind="unreachable")
    )
    return session


def headings(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [
        tokens[i].markup + " " + tokens[i + 1].content
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]


def test_export_has_the_title_project_spec_versions_and_both_chats(tmp_path: Path) -> None:
    with stored_session(tmp_path) as session:
        text = export_session(session)
    assert text.startswith("# Add refresh tokens\n\n")
    assert f"- Session: `{session.id}`" in text
    assert f"- Project: `{tmp_path / 'api'}`" in text
    assert headings(text) == [
        "# Add refresh tokens",
        "## Spec (current)",
        "## Versions sent",
        "### Version 1 · sent 2026-11-21 10:01 UTC · answered by qwen2.5-coder:14b",
        "### Version 2 · answered by claude-sonnet-5-5",
        "## Explore (2 messages)",
        "### You · 2026-11-21 10:01 UTC",
        "### qwen2.5-coder:7b · 2026-11-21 10:02 UTC · 48 tokens · 1.2 s",
        "#### Auth",  # the reply's own heading sits below the message's heading
        "## Implement (6 messages)",
        "### You sent the spec (version 1) · 2026-11-21 10:01 UTC",
        "### qwen2.5-coder:14b · 2026-11-21 10:02 UTC",
        "##### src/auth/refresh.py",
        "### You · 2026-11-21 10:03 UTC",
        "### You sent the spec · 2026-11-21 10:04 UTC",
        "### claude-sonnet-5-5 · 2026-11-21 10:05 UTC · interrupted",
        "### Error · 2026-11-21 10:06 UTC · unreachable",
    ]


def test_specs_and_typed_text_are_verbatim_and_replies_stay_markdown(tmp_path: Path) -> None:
    with stored_session(tmp_path) as session:
        text = export_session(session)
        spec = session.read_spec()
    # The current spec and each version appear whole, inside markdown fences.
    assert f"```markdown\n{spec}```" in text
    assert f"```markdown\n{spec}\nAlso expire old tokens.\n```" in text
    # What the user typed is kept exactly, in a fence longer than the one it contains.
    assert f"````\n{QUESTION}\n````" in text
    assert "```python\n# a comment, not a heading\n```" in text
    assert "The spec as version 1, shown under Versions sent." in text
    assert "*stopped by you*" in text
    assert "> Ollama is not running.\n> Run `ollama serve`." in text


def test_a_session_without_sends_or_messages_exports_too(tmp_path: Path) -> None:
    with SessionStore().create(tmp_path, new_spec()) as session:
        text = export_session(session)
    assert "*The spec has not been sent yet.*" in text
    assert "## Explore (0 messages)\n\n*No messages.*" in text
    assert text.endswith("*No messages.*\n")
