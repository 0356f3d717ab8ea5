"""Context compression: older Explore turns are summarized when the window fills up."""

from __future__ import annotations

from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from workbench.config import ModelSettings
from workbench.project.compress import COMPRESS_PROMPT
from workbench.session.store import SessionStore


def is_chore(request: dict) -> bool:
    return COMPRESS_PROMPT in request["messages"][-1]["content"]


async def test_older_turns_are_summarized_and_replaced_in_what_is_sent(
    ollama: FakeOllama,
) -> None:
    ollama.reply = "word " * 30
    settings = make_settings(ollama.url)
    settings.models["qwen2.5-coder:7b"] = ModelSettings(context_window=700)
    settings.project.compress_at = 0.5
    app = make_test_app(settings)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        for number in range(8):
            await explore.send(f"question {number} " + "about the code " * 8)
            await wait_until(
                pilot,
                lambda: not explore.is_streaming and explore.messages[-1].role == "assistant",
            )
            if any(is_chore(r) for r in ollama.chat_requests()):
                break
        chores = [r for r in ollama.chat_requests() if is_chore(r)]
        assert len(chores) == 1, "the conversation never reached the threshold"
        assert "question 0" in chores[0]["messages"][-1]["content"]
        # The question after it goes with the summary, not with the turns it covers.
        question = ollama.chat_requests()[-1]
        assert not is_chore(question)
        contents = [m["content"] for m in question["messages"]]
        assert any(c.startswith("Summary of the earlier part") for c in contents)
        assert not any("question 0" in c for c in contents)
        assert "question" in contents[-1]
        # On screen the covered messages are collapsed, and the summary says what it is.
        first = explore.views()[0]
        assert first.compressed and not first.expanded
        summary = next(v for v in explore.views() if v.message.kind == "summary")
        assert "Summary of older messages" in str(summary.query_one(".message-header").render())
        first.focus()
        await pilot.press("enter")
        assert first.expanded
        await pilot.press("ctrl+q")
    # Everything is still on disk, and a reopened session sends the same.
    saved = SessionStore().open(app.session.meta.id, readonly=True)
    messages = saved.explore.load()[0]
    assert messages[0].content.startswith("question 0")
    assert sum(m.kind == "summary" for m in messages) == 1


async def test_git_history_is_summarized_into_an_explore_message(
    ollama: FakeOllama, tmp_path
) -> None:
    from tests.fakes.project import COMMITS, make_project

    ollama.reply = "Recent work: refresh tokens."
    app = make_test_app(make_settings(ollama.url), project=make_project(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press("f9")
        await wait_until(pilot, lambda: len(explore.messages) == 2 and not explore.is_streaming)
        sent = ollama.chat_requests()[-1]["messages"][-1]["content"]
        assert sent.startswith("Summarize the last 20 commits")
        assert all(subject in sent for subject in COMMITS)
        assert explore.messages[0].kind == "git-summary"
        assert explore.messages[1].content == "Recent work: refresh tokens."


async def test_git_history_outside_a_repository_says_so(ollama: FakeOllama, tmp_path) -> None:
    app = make_test_app(make_settings(ollama.url), project=tmp_path)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f9")
        await wait_until(pilot, lambda: app._notifications, what="a notice")
        assert "git" in list(app._notifications)[-1].message.lower()
        assert not ollama.chat_requests()


async def test_a_request_larger_than_num_ctx_is_flagged(ollama: FakeOllama, tmp_path) -> None:
    from tests.fakes.project import make_project

    settings = make_settings(ollama.url)
    settings.tiers["fast"].num_ctx = 200
    app = make_test_app(settings, project=make_project(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await explore.send("explain @src/auth/session.py and @src/app.py")
        await wait_until(pilot, lambda: not explore.is_streaming and len(explore.messages) == 2)
        notices = [n.message for n in app._notifications]
        assert any("more than the 200 that qwen2.5-coder:7b reads" in n for n in notices)
