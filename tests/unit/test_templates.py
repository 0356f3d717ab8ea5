"""Spec templates: the built-in shapes, the user's own files, and the configured default."""

from __future__ import annotations

from pathlib import Path

from workbench import paths
from workbench.config import load_settings
from workbench.config_file import EXAMPLE_CONFIG, format_settings
from workbench.spec.template import DEFAULT_TEMPLATE, new_spec
from workbench.spec.templates import (
    ACCEPTANCE_HINT,
    get_template,
    is_blank_template,
    list_templates,
    template_for_new_session,
    user_templates_dir,
)


def write_template(name: str, data: str | bytes) -> Path:
    path = paths.config_dir() / "templates" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_the_feature_template_is_the_workflow_shape_and_new_specs_use_it() -> None:
    feature = get_template("feature")
    assert feature is not None and feature.source == "built-in"
    assert feature.text == (
        "# Task: <title>\n\n## Context (from exploration)\n\n## What I want\n\n"
        "## Constraints\n\n## Acceptance\n\n" + ACCEPTANCE_HINT
    )
    assert new_spec() == DEFAULT_TEMPLATE == feature.text
    assert new_spec("Add  refresh\ntokens").startswith("# Task: Add refresh tokens\n\n## Context")
    assert feature.render("Fix login") == new_spec("Fix login")


def test_bugfix_and_refactor_have_their_own_sections() -> None:
    templates, problems = list_templates()
    assert problems == []
    assert [t.name for t in templates] == ["feature", "bugfix", "refactor"]
    bugfix, refactor = templates[1], templates[2]
    assert bugfix.outline == [
        "Context (from exploration)",
        "Steps to reproduce",
        "Expected",
        "Actual",
        "Constraints",
        "Acceptance",
    ]
    assert refactor.outline == [
        "Context (from exploration)",
        "Current shape",
        "Target shape",
        "Constraints",
        "Acceptance",
    ]
    assert all(t.text.startswith("# Task: <title>\n") for t in templates)


def test_user_templates_are_added_and_override_built_ins_by_name() -> None:
    mine = write_template("feature.md", "# Task: <title>\n\n## Why\n\n## What\n")
    extra = write_template("spike.md", "\ufeff# Spike: <title>\n\n## Question\n")
    write_template("notes.txt", "# not a template\n")
    write_template(".draft.md", "# hidden\n")
    templates, problems = list_templates()
    assert problems == []
    assert [(t.name, t.source) for t in templates] == [
        ("feature", mine),
        ("bugfix", "built-in"),
        ("refactor", "built-in"),
        ("spike", extra),
    ]
    assert templates[3].text == "# Spike: <title>\n\n## Question\n"  # the BOM is dropped
    assert get_template("feature") == templates[0]
    assert get_template("spike") is not None and get_template("notes") is None


def test_unreadable_and_empty_template_files_are_reported_and_skipped() -> None:
    bad = write_template("broken.md", b"# Task: \xff\xfe\n")
    empty = write_template("empty.md", "  \n")
    write_template("good.md", "# Task: <title>\n")
    templates, problems = list_templates()
    assert [t.name for t in templates][-1] == "good"
    assert "broken" not in [t.name for t in templates] and "empty" not in [
        t.name for t in templates
    ]
    assert len(problems) == 2
    assert "broken.md" in problems[0] and "cannot read" in problems[0]
    assert "empty.md" in problems[1] and "empty" in problems[1]
    assert bad.exists() and empty.exists()  # reported, never deleted


def test_templates_folder_is_in_the_config_dir(isolated_paths: Path) -> None:
    assert user_templates_dir() == isolated_paths / "config" / "templates"


def test_the_configured_default_template_is_used_for_new_sessions() -> None:
    template, problems = template_for_new_session("bugfix")
    assert (template.name, problems) == ("bugfix", [])


def test_an_unknown_default_falls_back_to_feature_and_says_so() -> None:
    template, problems = template_for_new_session("featrue")
    assert template.name == "feature"
    assert len(problems) == 1
    assert '"featrue"' in problems[0] and "feature, bugfix, refactor" in problems[0]


def test_a_blank_template_is_recognised_but_a_titled_one_is_not() -> None:
    write_template("spike.md", "# Spike: <title>\n")
    assert is_blank_template(new_spec())
    assert is_blank_template("# Spike: <title>\n")
    assert not is_blank_template(new_spec("Add refresh tokens"))
    assert not is_blank_template(new_spec() + "\nsomething\n")


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_templates_default_is_read_from_the_config() -> None:
    defaults, _ = load_settings(env={})
    assert defaults.default_template == "feature"
    write_config('[templates]\ndefault = "refactor"\n')
    settings, problems = load_settings(env={})
    assert (settings.default_template, problems) == ("refactor", [])
    assert 'new sessions start from "refactor"' in format_settings(settings, problems)


def test_a_bad_templates_default_is_reported_with_its_line() -> None:
    write_config("[templates]\ndefault = 3\nstyle = 'x'\n")
    settings, problems = load_settings(env={})
    assert settings.default_template == "feature"
    assert [(p.line, p.key) for p in problems] == [(2, "templates.default"), (3, "templates.style")]
    assert "[templates] default: expected a string" in str(problems[0])


def test_the_example_config_documents_the_default_template() -> None:
    assert "[templates]\n# The spec template" in EXAMPLE_CONFIG
    write_config(EXAMPLE_CONFIG)
    settings, problems = load_settings(env={})
    assert (settings.default_template, problems) == ("feature", [])
