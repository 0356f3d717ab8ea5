"""`@` in a chat input: fuzzy completion over the project's files, .gitignore respected."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.ollama_server import FakeOllama
from tests.fakes.project import make_project
from tests.ui.harness import main_screen, make_settings, make_test_app, wait_until
from workbench.widgets.file_completion import FileCompletion, active_reference, rank


def completion(app) -> FileCompletion:
    return main_screen(app).query_one("#explore-completion", FileCompletion)


def test_active_reference_is_the_at_word_before_the_cursor() -> None:
    assert active_reference("look at @src/ap", 15) == (8, "src/ap")
    assert active_reference("@", 1) == (0, "")
    assert active_reference("mail me@example.com", 19) is None  # not after whitespace
    assert active_reference("@done and more", 14) is None  # the cursor left the word


def test_rank_prefers_the_best_fuzzy_match() -> None:
    files = ["src/app.py", "src/auth/session.py", "README.md", "data/big.py"]
    assert rank(files, "sess")[0] == "src/auth/session.py"
    assert rank(files, "zzz") == []
    assert rank(files, "") == files


async def test_at_completes_a_project_file(ollama: FakeOllama, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await pilot.press(*"what does ", "@", *"sess")
        await wait_until(pilot, lambda: completion(app).is_open, what="completion list")
        assert completion(app).paths[0] == "src/auth/session.py"
        await pilot.press("enter")
        assert explore.input.text == "what does @src/auth/session.py "
        assert not completion(app).is_open
        assert not ollama.chat_requests()  # Enter chose the file; it did not send
        # Ignored files are never offered.
        await pilot.press("@", *"out")
        await wait_until(pilot, lambda: completion(app).is_open)
        assert "build/out.txt" not in completion(app).paths
        await pilot.press("ctrl+a", "ctrl+k", "@", *"debug")
        await wait_until(pilot, lambda: completion(app).is_open)
        assert completion(app).paths == []
        # Escape closes the list and keeps the text; down/up/tab pick another file.
        await pilot.press("escape")
        assert not completion(app).is_open and explore.input.text == "@debug"
        await pilot.press("ctrl+a", "ctrl+k", "@", *"src")
        await wait_until(pilot, lambda: completion(app).is_open)
        second = completion(app).paths[1]
        await pilot.press("down", "tab")
        assert explore.input.text == f"@{second} "


def user_messages(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


async def test_attached_file_goes_with_the_question(ollama: FakeOllama, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await explore.send("what does @src/auth/session.py do? and @assets/logo.png")
        await wait_until(pilot, lambda: not explore.is_streaming and len(explore.messages) == 2)
        sent = user_messages(ollama.chat_requests()[-1])[-1]
        assert sent.startswith("what does @src/auth/session.py do?")
        assert "def refresh" in sent  # the file's text is in the turn
        assert "PNG" not in sent  # the binary file is not
        entries = explore.messages[0].attachments
        assert entries[0].path == "src/auth/session.py" and entries[0].tokens > 0
        assert "binary" in entries[1].error
        shown = str(explore.views()[0].query_one(".message-attachments").render())
        assert "📎 src/auth/session.py" in shown and "✗ @assets/logo.png" in shown
        # A later question still carries the file, read back from the transcript.
        saved = explore.conversation.transcript.load()[0][0]
        assert saved.attachments == entries
        await explore.send("and then?")
        await wait_until(pilot, lambda: not explore.is_streaming and len(explore.messages) == 4)
        assert "def refresh" in user_messages(ollama.chat_requests()[-1])[0]


async def test_a_large_file_is_summarized_by_the_fast_model_first(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    project = make_project(tmp_path)
    ollama.reply = "A big generated module of constants."
    app = make_test_app(make_settings(ollama.url), project=project)
    async with app.run_test(size=(160, 48)) as pilot:
        explore = main_screen(app).chat("explore")
        await explore.send("summarize @data/big.py please")
        await wait_until(pilot, lambda: not explore.is_streaming and len(explore.messages) == 2)
        requests = ollama.chat_requests()
        chores, question = requests[:-1], requests[-1]
        assert len(chores) > 1  # 200 KB is summarized part by part
        assert all("Summarize this file" in user_messages(r)[0] for r in chores)
        assert "part 1 of" in user_messages(chores[0])[0]
        sent = user_messages(question)[-1]
        assert "data/big.py (summary of a 200 KB file)" in sent
        assert "A big generated module of constants." in sent
        assert len(sent) < 20_000  # the raw 200 KB never went
        entry = explore.messages[0].attachments[0]
        assert entry.summary is True


async def test_at_in_the_spec_completes_a_file_the_payload_will_carry(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    from workbench.widgets.spec_pane import SpecEditor

    project = make_project(tmp_path)
    app = make_test_app(make_settings(ollama.url), project=project, spec="# Task: T\n\n")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        editor = screen.query_one(SpecEditor)
        await pilot.press("f2", "ctrl+end", *"Keep @sess")
        spec_list = screen.query_one("#spec-completion", FileCompletion)
        await wait_until(pilot, lambda: spec_list.is_open, what="the list in the spec")
        await pilot.press("tab")
        assert "Keep @src/auth/session.py " in editor.text
        assert not spec_list.is_open


async def test_the_input_shows_what_its_at_paths_will_attach(
    ollama: FakeOllama, tmp_path: Path
) -> None:
    from workbench.widgets.attachment_preview import AttachmentPreview

    app = make_test_app(make_settings(ollama.url), project=make_project(tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        preview = main_screen(app).query_one("#explore-attachments", AttachmentPreview)
        assert not preview.display
        await pilot.press(*"see @src/app.py and @data/big.py and @nope.py ")
        await wait_until(pilot, lambda: "nope" in str(preview.render()), what="the preview")
        lines = str(preview.render()).splitlines()
        assert lines[0].startswith("📎 src/app.py · ") and "tokens" in lines[0]
        assert lines[1].startswith("📎 data/big.py · 200 KB · the fast model will summarize")
        assert lines[2].startswith("✗ @nope.py")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not preview.display, what="hidden after sending")
