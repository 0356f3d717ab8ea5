"""The review before the slow send: exact payload, estimates, warnings, versions and re-send."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.anthropic_server import FakeAnthropic
from tests.fakes.ollama_server import FakeOllama
from tests.ui.harness import main_screen, make_settings, make_test_app, send_spec, wait_until
from workbench.config import ModelSettings
from workbench.screens.send_review import SendReviewModal, payload_text
from workbench.screens.versions import VersionsModal
from workbench.session.model import ModelChoice
from workbench.session.store import SessionStore

SPEC = (
    "# Task: Refresh tokens\n\n## Context\n\n- auth lives in src/auth\n\n"
    "## What I want\n\nRotate refresh tokens on use.\n\n## Constraints\n\nKeep the API.\n\n"
    "## Acceptance\n\n- a used refresh token is refused\n"
)


def done(screen, pane: str, count: int = 1) -> bool:
    replies = [v for v in screen.chat(pane).views() if v.message.role == "assistant"]
    return len(replies) >= count and replies[count - 1].message.status == "done"


async def open_review(pilot) -> SendReviewModal:
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SendReviewModal))
    return pilot.app.screen


async def test_the_review_shows_the_exact_payload_and_sends_only_the_spec(
    ollama: FakeOllama,
) -> None:
    ollama.reply = "Explored: the secret question answer."
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"secret exploration question", "enter")
        await wait_until(pilot, lambda: done(screen, "explore"))
        review = await open_review(pilot)
        assert [p.name for p in review.payload.parts] == ["System prompt", "Spec"]
        assert review.payload.parts[1].text == SPEC
        assert review.warnings == []
        summary = review.estimate.summary(review.payload)
        assert "context window 32,768" in summary  # from /api/show of the fake
        assert "reply time unknown" in summary
        shown = payload_text(review.payload)
        assert "secret exploration question" not in shown
        await pilot.press("enter")
        await wait_until(pilot, lambda: done(screen, "implement"))
        request = ollama.chat_requests()[-1]
        system, _ = review.payload.messages()
        assert request["messages"][0] == {"role": "system", "content": system}
        assert request["messages"][1:] == [{"role": "user", "content": SPEC}]
        assert "secret" not in str(request)
        # The second review knows the model's measured speed.
        review = await open_review(pilot)
        assert "tok/s (measured)" in review.estimate.summary(review.payload)


async def test_warnings_for_a_payload_over_the_context_window_and_a_pasted_transcript(
    ollama: FakeOllama,
) -> None:
    long_reply = "The module does many things. " * 12
    ollama.reply = long_reply
    settings = make_settings(ollama.url)
    settings.models["qwen2.5-coder:14b"] = ModelSettings(context_window=50)
    app = make_test_app(settings, spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        for n in range(3):
            await pilot.press(*f"q{n}", "enter")
            await wait_until(pilot, lambda n=n: done(screen, "explore", n + 1))
        # Paste the whole exploration into the spec.
        for view in screen.chat("explore").views():
            if view.message.role == "assistant":
                view.focus()
                await pilot.press("p")
        review = await open_review(pilot)
        codes = [w.code for w in review.warnings]
        assert "too_large" in codes and "transcript_pasted" in codes
        too_large = next(w for w in review.warnings if w.code == "too_large")
        assert "50" in too_large.message
        await pilot.press("enter")  # warnings never block
        await wait_until(pilot, lambda: done(screen, "implement"))


async def test_claude_shows_cost_and_its_configured_window(
    ollama: FakeOllama, fake_anthropic: FakeAnthropic
) -> None:
    session = SessionStore().create(Path("/tmp/demo-project"), SPEC)
    session.set_model("implement", ModelChoice("anthropic", "claude-sonnet-5-5"))
    app = make_test_app(make_settings(ollama.url, fake_anthropic), session=session)
    async with app.run_test(size=(160, 48)) as pilot:
        review = await open_review(pilot)
        summary = review.estimate.summary(review.payload)
        assert "context window 200,000" in summary and "$" in summary
        await pilot.press("escape")


async def test_every_send_is_a_version_and_replies_record_it(ollama: FakeOllama) -> None:
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await send_spec(pilot)
        await wait_until(pilot, lambda: done(screen, "implement"))
        versions = app.session.versions
        assert versions.numbers() == [1] and versions.read(1) == SPEC
        reply = next(v for v in screen.chat("implement").views() if v.message.role == "assistant")
        assert reply.message.spec_version == 1
        assert "answers v1" in str(reply.query_one(".message-header").render())
        saved = screen.chat("implement").conversation.transcript.load()[0]
        assert [(m.kind, m.spec_version) for m in saved] == [("spec", 1), (None, 1)]

        # Edit, look at the diff against v1, then re-send v1 from there.
        await pilot.press("f2")
        screen.spec.editor.move_cursor((SPEC.splitlines().index("Keep the API."), 0))
        await pilot.press(*"- Add tests.", "ctrl+j")
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, VersionsModal))
        modal = app.screen
        assert "+- Add tests." in modal.diff_text()
        assert "v1 → current spec" in str(modal.query_one(".versions-title").render())
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, SendReviewModal))
        assert app.screen.payload.parts[1].text == SPEC
        await pilot.press("enter")
        await wait_until(pilot, lambda: done(screen, "implement", 2))
        assert versions.numbers() == [1, 2] and versions.read(2) == SPEC
        assert ollama.chat_requests()[-1]["messages"][-1]["content"] == SPEC
        sent = [m for m in screen.chat("implement").messages if m.kind == "spec"]
        assert sent[-1].note == "re-send of v1"

        # Any two versions: v1 → v2 are the same text.
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, VersionsModal))
        await pilot.press("left", "[")  # left side v1, right side v2
        assert app.screen.old == 1 and app.screen.new == 2
        assert app.screen.diff_text() == ""
        await pilot.press("escape")


async def test_files_the_spec_attaches_are_in_the_payload_and_the_review(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    from tests.fakes.project import make_project

    project = make_project(tmp_path)
    spec = SPEC.replace("Keep the API.", "Keep the API of @src/auth/session.py and @nope.py.")
    app = make_test_app(make_settings(ollama.url), project=project, spec=spec)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        review = await open_review(pilot)
        names = [p.name for p in review.payload.parts]
        assert names == ["System prompt", "Spec", "Attached: src/auth/session.py"]
        attached = review.payload.parts[2]
        assert "def refresh" in attached.text and attached.tokens > 0
        assert review.payload.total_tokens == sum(p.tokens for p in review.payload.parts)
        notices = [n.message for n in app._notifications]
        assert any("@nope.py" in n for n in notices)  # a missing file is said, not sent
        await pilot.press("enter")
        await wait_until(pilot, lambda: done(screen, "implement"))
        sent = ollama.chat_requests()[-1]["messages"][-1]["content"]
        # What the review showed is exactly what went.
        assert sent == review.payload.messages()[1][0].content
        assert sent.startswith(spec) and "def refresh" in sent


async def test_the_review_names_who_will_answer_when_the_model_is_missing(
    ollama: FakeOllama,
) -> None:
    """Bug: "Send spec v1 to qwen2.5-coder:14b" while 14b was not installed."""
    from tests.ui.harness import screen_text

    ollama.models = ["qwen2.5-coder:7b", "qwen2.5-coder:32b"]
    app = make_test_app(make_settings(ollama.url), spec=SPEC)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await wait_until(pilot, lambda: screen.controller.monitor.state.installed is not None)
        await open_review(pilot)
        text = screen_text(app)
        assert "Send spec v1 to qwen2.5-coder:32b (quality)" in text
        assert "qwen2.5-coder:14b (not installed): qwen2.5-coder:32b will answer" in text
        await pilot.press("enter")
        await wait_until(pilot, lambda: done(screen, "implement"))
        assert ollama.chat_requests()[-1]["model"] == "qwen2.5-coder:32b"
