"""The spec's edit journal: deltas found fast, entries replayed over the saved text, anything
doubtful (another base, a torn line) left out rather than guessed."""

from __future__ import annotations

import random
from pathlib import Path

from workbench.spec.edit_journal import Delta, EditJournal, delta, recover


def test_delta_is_the_one_replacement_between_two_texts() -> None:
    assert delta("abc", "abc") is None
    assert delta("hello world", "hello brave world") == Delta(6, 6, "brave ")
    assert delta("hello world", "hello") == Delta(5, 11, "")
    assert delta("", "x") == Delta(0, 0, "x")
    assert delta("aaaa", "aaaaa") == Delta(4, 4, "a")  # repeats: the suffix never overlaps


def test_delta_finds_edits_in_a_big_text_across_blocks() -> None:
    rng = random.Random(7)
    base = "".join(rng.choice("ab\n") for _ in range(300_000))
    for at in (0, 65_535, 65_536, 200_001, len(base)):
        new = base[:at] + "XYZ" + base[at + 2 :]
        change = delta(base, new)
        assert change is not None
        assert base[: change.start] + change.text + base[change.end :] == new


def test_recorded_typing_is_replayed_over_the_saved_text(tmp_path: Path) -> None:
    path = tmp_path / "context.journal"
    journal = EditJournal(path)
    journal.start("# Task\n\n")
    text = "# Task\n\n"
    for word in ("Rotate ", "refresh ", "tokens"):
        text += word
        assert journal.record(text)
    text = text.replace("refresh ", "")  # a deletion in the middle, é and emoji after
    journal.record(text + " é 🙂")
    assert not journal.record(text + " é 🙂")  # nothing changed: nothing written
    journal.close()
    assert recover(path, "# Task\n\n") == "# Task\n\nRotate tokens é 🙂"


def test_a_journal_of_another_text_or_a_torn_line_is_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "context.journal"
    journal = EditJournal(path)
    journal.start("base\n")
    journal.record("base\nmore")
    journal.record("base\nmore and more")
    journal.close()
    assert recover(path, "base edited elsewhere\n") is None  # the spec changed since
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:2], lines[2][:9]]))  # the crash tore the last entry
    assert recover(path, "base\n") == "base\nmore"
    path.write_text("garbage")
    assert recover(path, "base\n") is None
    assert recover(tmp_path / "none.journal", "base\n") is None


def test_a_save_starts_afresh_and_a_clean_close_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "context.journal"
    journal = EditJournal(path)
    journal.start("a")
    journal.record("ab")
    journal.start("ab")  # saved: nothing left to recover
    assert recover(path, "ab") is None
    journal.discard()
    assert not path.exists()
