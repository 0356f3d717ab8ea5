"""`@path` attachments: finding references, loading files, and what the model receives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.project import APP, BIG_FILE_BYTES, make_project
from workbench.project import (
    Attachment,
    OutsideProject,
    ToolError,
    attachment_text,
    find_references,
    load_attachment,
)
from workbench.project import attachments as attachments_module
from workbench.project.attachments import AttachmentError
from workbench.spec.payload import estimate_tokens

SUMMARY_OVER = 64 * 1024


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


# find_references


def test_references_at_the_start_and_after_whitespace() -> None:
    text = "@src/app.py calls\tlogin in @src/auth/session.py and @README.md"
    assert find_references(text) == ["src/app.py", "src/auth/session.py", "README.md"]


def test_trailing_punctuation_is_dropped() -> None:
    text = "See @src/app.py, @a.py; @b.py: (and @c.py) or @d.py. Really @e.py?"
    assert find_references(text) == ["src/app.py", "a.py", "b.py", "c.py", "d.py", "e.py"]


def test_references_are_deduplicated_in_order() -> None:
    assert find_references("@b.py @a.py @b.py\n@a.py.") == ["b.py", "a.py"]


def test_emails_and_bare_at_signs_are_not_references() -> None:
    assert find_references("mail ada@example.com, @ alone, @@twice, x@y") == []


def test_references_in_code_and_quotes_are_ignored() -> None:
    text = """\
Look at @src/app.py.

```python
@property
def x(self): ...  # @src/in_fence.py
```

> the reply said @src/quoted.py
> and @src/quoted2.py

    @indented_code.py

Inline `@src/inline.py` is code too; @src/auth/session.py is not.
"""
    assert find_references(text) == ["src/app.py", "src/auth/session.py"]


def test_a_reference_at_the_very_start_of_a_line() -> None:
    assert find_references("first line\n@Makefile\n") == ["Makefile"]


# load_attachment


def test_a_small_file_is_loaded_whole(project: Path) -> None:
    att = load_attachment(project, "src/app.py", summarize_over_bytes=SUMMARY_OVER)
    assert att == Attachment(
        path="src/app.py",
        size_bytes=len(APP.encode()),
        tokens=estimate_tokens(APP),
        text=APP,
        needs_summary=False,
    )


def test_an_absolute_path_inside_is_made_relative(project: Path) -> None:
    att = load_attachment(project, str(project / "src/app.py"), summarize_over_bytes=SUMMARY_OVER)
    assert att.path == "src/app.py"


def test_a_big_file_needs_a_summary(project: Path) -> None:
    att = load_attachment(project, "data/big.py", summarize_over_bytes=SUMMARY_OVER)
    assert att.needs_summary
    assert att.size_bytes >= BIG_FILE_BYTES
    assert att.tokens == estimate_tokens(att.text) > 40_000
    assert att.summary is None


@pytest.mark.parametrize(
    ("ref", "error", "message"),
    [
        ("assets/logo.png", AttachmentError, "binary file"),
        ("src/nope.py", AttachmentError, "no such file"),
        ("src", AttachmentError, "is a directory"),
        ("leak.txt", OutsideProject, "through a symlink"),
        ("../elsewhere/secret.txt", OutsideProject, "above the project root"),
        ("/etc/hostname", OutsideProject, "outside the project"),
    ],
)
def test_attachments_that_are_refused(
    project: Path, ref: str, error: type[ToolError], message: str
) -> None:
    with pytest.raises(error, match=message):
        load_attachment(project, ref, summarize_over_bytes=SUMMARY_OVER)


def test_a_file_over_the_hard_limit_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachments_module, "MAX_ATTACHMENT_BYTES", 1024)
    with pytest.raises(AttachmentError, match="too large to attach"):
        load_attachment(project, "data/big.py", summarize_over_bytes=SUMMARY_OVER)


# attachment_text


def test_a_whole_file_is_sent_with_its_size_and_language() -> None:
    att = Attachment("src/app.py", 276, 70, "print('hi')\n", needs_summary=False)
    assert attachment_text(att) == "src/app.py (276 B)\n```py\nprint('hi')\n```\n"


def test_a_summary_says_what_it_summarizes() -> None:
    att = Attachment("data/big.py", 200 * 1024, 50_000, "...", needs_summary=True)
    att.summary = "Defines VALUE_00001 to VALUE_04038."
    assert attachment_text(att) == (
        "data/big.py (summary of a 200 KB file)\n```md\nDefines VALUE_00001 to VALUE_04038.\n```\n"
    )


def test_the_fence_is_longer_than_any_backtick_run_inside() -> None:
    text = "Example:\n````\ncode\n````\n"
    att = Attachment("docs/guide.md", len(text), 5, text, needs_summary=False)
    rendered = attachment_text(att)
    assert rendered.splitlines()[1] == "`````md"
    assert rendered.endswith("\n`````\n")


def test_a_file_without_an_extension_gets_no_language_tag(project: Path) -> None:
    (project / "Makefile").write_text("all:\n\techo hi\n")
    att = load_attachment(project, "Makefile", summarize_over_bytes=SUMMARY_OVER)
    assert attachment_text(att) == "Makefile (14 B)\n```\nall:\n\techo hi\n```\n"
