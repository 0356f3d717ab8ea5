"""The payload before a send: exact contents, size, readiness warnings, time and cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import paths
from workbench.config import ModelSettings, display_path, load_settings
from workbench.config_file import EXAMPLE_CONFIG, format_settings
from workbench.providers.base import ChatMessage
from workbench.session.model import AssistantMessage, MessageStatus, UserMessage
from workbench.spec.estimate import SendEstimate, dollars
from workbench.spec.payload import (
    Payload,
    PayloadPart,
    attachment_block,
    build_payload,
    estimate_cost,
    estimate_seconds,
    estimate_tokens,
    find_placeholders,
    readiness_checks,
)
from workbench.spec.promote import promote
from workbench.spec.template import new_spec
from workbench.spec.templates import get_template
from workbench.usage import describe_reply, measured_tok_per_s

READY_SPEC = """\
# Task: Add refresh tokens

## Context (from exploration)

<!-- promoted from explore message m1 (qwen2.5-coder:7b) -->
> Auth lives in `src/auth/`; `login()` returns a `Session` with an access token.

## What I want

Issue a refresh token with every login and add `POST /auth/refresh`.

```python
def refresh(token: str) -> Session: ...  # <signature> stays like this
```

## Constraints

- Keep `Session` backwards compatible; see <https://example.com/rfc6749>.

## Acceptance

- `pytest tests/auth` passes.
"""

EXPLORE_ANSWER = (
    "Auth lives in `src/auth/`. The `login()` function in `src/auth/login.py` checks the "
    "password hash with bcrypt, then builds a `Session` (see `src/auth/session.py`) holding "
    "an access token that expires after 15 minutes. Tokens are signed with the key from "
    "`settings.SECRET_KEY`; there is no refresh token anywhere yet."
)


def codes(spec: str, *, window: int | None = None, explore: list[str] | None = None) -> list[str]:
    payload = build_payload("qwen2.5-coder:14b", "Implement it.", spec)
    warnings = readiness_checks(spec, payload, context_window=window, explore_texts=explore or [])
    return [w.code for w in warnings]


def test_estimate_tokens_is_about_four_characters_per_token() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    assert estimate_tokens("x" * 400) == 100
    assert 70 <= estimate_tokens(EXPLORE_ANSWER) <= 110  # 357 characters of English and code
    assert estimate_tokens("認証はどこですか") > estimate_tokens("abcdefgh")  # CJK costs more


def test_payload_is_system_prompt_then_the_spec_exactly_as_written() -> None:
    payload = build_payload("claude-sonnet-5-5", "Be exact.", READY_SPEC)
    assert [p.name for p in payload.parts] == ["System prompt", "Spec"]
    assert payload.messages() == ("Be exact.", [ChatMessage("user", READY_SPEC)])
    assert payload.model == "claude-sonnet-5-5"
    assert payload.total_tokens == estimate_tokens("Be exact.") + estimate_tokens(READY_SPEC)
    assert payload.parts[1].tokens == estimate_tokens(READY_SPEC)


def test_attached_files_follow_the_spec_in_the_same_user_turn() -> None:
    spec = "# Task: T\n\n## What I want\n\nUse the helper."  # no final newline
    payload = build_payload(
        "m",
        "sys",
        spec,
        [
            (
                "src/auth/login.py",
                attachment_block("src/auth/login.py", "def login():\n    pass\n"),
            ),
            ("README", attachment_block("README", "Has ``` fences")),
        ],
    )
    assert [p.name for p in payload.parts] == [
        "System prompt",
        "Spec",
        "Attached: src/auth/login.py",
        "Attached: README",
    ]
    system, turns = payload.messages()
    assert system == "sys"
    assert turns == [
        ChatMessage(
            "user",
            "# Task: T\n\n## What I want\n\nUse the helper.\n"
            "\nsrc/auth/login.py\n```py\ndef login():\n    pass\n```\n"
            "\n\nREADME\n````\nHas ``` fences\n````\n",
        )
    ]
    assert payload.total_tokens == sum(p.tokens for p in payload.parts)


def test_the_exploration_transcript_is_never_in_the_payload() -> None:
    payload = build_payload("m", "sys", READY_SPEC)
    system, turns = payload.messages()
    sent = (system or "") + "".join(t.content for t in turns)
    assert "bcrypt" not in sent  # only the promoted sentence, not the whole answer
    assert len(turns) == 1 and turns[0].role == "user"


def test_an_empty_system_prompt_is_not_sent() -> None:
    assert build_payload("m", "", "spec\n").messages()[0] is None
    assert Payload("m", [PayloadPart("Spec", "x")]).messages() == (None, [ChatMessage("user", "x")])


def test_a_ready_spec_has_no_warnings() -> None:
    assert codes(READY_SPEC, window=32_768, explore=[EXPLORE_ANSWER]) == []


def test_a_fresh_template_warns_about_what_is_missing() -> None:
    assert codes(new_spec()) == [
        "empty_what_i_want",
        "no_context",
        "no_acceptance",
        "placeholders",
    ]
    assert codes(new_spec("Add refresh tokens")) == [
        "empty_what_i_want",
        "no_context",
        "no_acceptance",
    ]


@pytest.mark.parametrize("name", ["bugfix", "refactor"])
def test_other_templates_warn_once_filled_in_only_if_still_empty(name: str) -> None:
    template = get_template(name)
    assert template is not None
    blank = template.render("Fix it")
    assert codes(blank) == ["empty_what_i_want", "no_context", "no_acceptance"]
    filled = blank
    for title in ("Context (from exploration)", "Expected", "Target shape"):
        filled = filled.replace(f"## {title}\n", f"## {title}\n\nSome text.\n")
    assert codes(filled) == ["no_acceptance"]
    checkable = filled.replace("## Acceptance\n", "## Acceptance\n\n- `pytest -q` passes\n")
    assert codes(checkable) == []


def test_empty_what_i_want_names_the_section() -> None:
    head, rest = READY_SPEC.split("## What I want\n")
    spec = head + "## What I want\n\n  \n" + rest[rest.index("## Constraints") :]
    payload = build_payload("m", "", spec)
    [warning] = readiness_checks(spec, payload, context_window=None, explore_texts=[])
    assert warning.code == "empty_what_i_want"
    assert warning.message == '"What I want" is empty: say what the model should do.'


def test_a_spec_with_no_requirements_section_at_all_warns() -> None:
    spec = "# Task: Tidy\n\n## Context\n\nThe code is messy.\n"
    assert codes(spec) == ["empty_what_i_want", "no_acceptance"]


def test_a_hand_written_notes_and_task_file_is_ready() -> None:
    spec = "## Codebase Notes\n\nThe API is in api/.\n\n## Task\n\nAdd pagination to /users.\n"
    assert codes(spec) == ["no_acceptance"]  # ready, but nothing to check the result against
    assert codes(spec + "\n## Done when\n\n- [ ] `GET /users?page=2` works\n") == []
    assert codes("# Add email verification\n\n## Requirements:\n- one\n") == [
        "no_context",
        "no_acceptance",
    ]


def test_sub_headings_and_comments_alone_are_not_content() -> None:
    spec = "# Task: T\n\n## Context\n\n<!-- fill me -->\n\n## What I want\n\n### API\n\n### UI\n"
    assert codes(spec) == ["empty_what_i_want", "no_context", "no_acceptance"]
    assert codes(spec + "\nA button.\n") == ["no_context", "no_acceptance"]


def test_placeholders_are_found_outside_code_quotes_and_comments() -> None:
    spec = (
        "# Task: <title>\n\nFix <what is broken> in `Vec<T>` and Map<K, V>.\n"
        "Line<br>break, <https://x.org>, <me@x.org>, <a href='x'>link</a>.\n"
        "Then <...> and <title> again.\n\n"
        "> quoted <branch> from the model\n\n"
        "```sh\ngit checkout <branch>\n```\n\n"
        "<!-- promoted from explore message <id> -->\n"
    )
    assert find_placeholders(spec) == ["<title>", "<what is broken>", "<...>"]
    assert find_placeholders(READY_SPEC) == []


def test_placeholder_warning_lists_them() -> None:
    spec = READY_SPEC.replace("Add refresh tokens", "<title>").replace(
        "- Keep", "- <constraint>\n- Keep"
    )
    payload = build_payload("m", "", spec)
    warnings = readiness_checks(spec, payload, context_window=None, explore_texts=[])
    assert [(w.code, w.message) for w in warnings] == [
        (
            "placeholders",
            "Template placeholders left: <title>, <constraint>. Fill them in or delete them.",
        )
    ]


def test_too_large_compares_the_payload_with_the_context_window() -> None:
    payload = build_payload("qwen2.5-coder:7b", "s" * 4000, READY_SPEC)
    total = payload.total_tokens
    warnings = readiness_checks(READY_SPEC, payload, context_window=1000, explore_texts=[])
    assert [w.code for w in warnings] == ["too_large"]
    assert f"{total:,}" in warnings[0].message and "1,000" in warnings[0].message
    assert "qwen2.5-coder:7b" in warnings[0].message
    assert readiness_checks(READY_SPEC, payload, context_window=total, explore_texts=[]) == []
    assert readiness_checks(READY_SPEC, payload, context_window=None, explore_texts=[]) == []


def long_answers(count: int) -> list[str]:
    return [f"Answer {i}: {EXPLORE_ANSWER}\n\n```python\nx = {i}\n```" for i in range(count)]


def promoted(spec: str, notes: list[str]) -> str:
    for index, note in enumerate(notes):
        spec = promote(spec, note, pane="explore", message_id=f"m{index}", model="q")
    return spec


def test_promoting_one_or_two_answers_is_not_a_pasted_transcript() -> None:
    answers = long_answers(2)
    assert codes(promoted(READY_SPEC, answers), explore=[*answers, "short question?"]) == []
    answers = long_answers(10)
    assert codes(promoted(READY_SPEC, answers[:3]), explore=answers) == []


def test_most_of_the_transcript_pasted_in_warns() -> None:
    answers = long_answers(4)
    assert codes(promoted(READY_SPEC, answers[:3]), explore=answers) == ["transcript_pasted"]
    # Pasted by hand, without quote marks or the blank lines: still the transcript.
    pasted = READY_SPEC + "\n".join(a.replace("\n\n", "\n") for a in answers)
    warnings = readiness_checks(
        pasted, build_payload("m", "", pasted), context_window=None, explore_texts=answers
    )
    assert [w.code for w in warnings] == ["transcript_pasted"]
    assert warnings[0].message.startswith("4 of the 4 long Explore messages are pasted whole")


def test_more_than_three_answers_pasted_warns_even_in_a_long_exploration() -> None:
    answers = long_answers(20)
    assert codes(promoted(READY_SPEC, answers[:4]), explore=answers) == ["transcript_pasted"]


def reply(
    model: str,
    tokens: int | None,
    seconds: float | None,
    status: MessageStatus = "done",
    generation_s: float | None = None,
) -> AssistantMessage:
    return AssistantMessage(
        id=f"r{tokens}-{seconds}",
        content="x",
        model=model,
        status=status,
        output_tokens=tokens,
        duration_s=seconds,
        generation_s=generation_s,
    )


def test_speed_is_the_servers_generation_time_when_it_gives_one() -> None:
    # 400 tokens in 70 s of wall time, 70 of it generating per the server's eval_duration.
    timed = reply("gemma", 400, 148.0, generation_s=70.0)
    assert measured_tok_per_s([timed], "gemma") == pytest.approx(400 / 70)
    assert describe_reply(timed).endswith("5.7 tok/s")
    walled = reply("gemma", 400, 148.0)
    assert describe_reply(walled).endswith("2.7 tok/s (wall)")


def test_speed_counts_cut_replies_and_matches_ollama_names_canonically() -> None:
    messages = [reply("llama3.2:latest", 100, 10.0, status="cut")]
    assert measured_tok_per_s(messages, "llama3.2") == 10.0


def test_cost_is_a_range_bounded_by_max_tokens() -> None:
    settings, _ = load_settings(env={})
    prices = settings.models
    # 1,000 in at $3/M and up to 1,024 out at $15/M: $0.003 to $0.01836.
    estimate = SendEstimate(
        model="claude-sonnet-5-5",
        tier="cloud",
        context_window=200_000,
        tok_per_s=None,
        seconds=None,
        cost_usd=estimate_cost("claude-sonnet-5-5", 1000, 1024, prices),
        version=1,
        cost_min_usd=estimate_cost("claude-sonnet-5-5", 1000, 0, prices),
        cost_max_usd=estimate_cost("claude-sonnet-5-5", 1000, 1024, prices),
        max_tokens=1024,
    )
    assert estimate.cost_text() == "$0.0030 to $0.018 (reply up to 1,024 tokens)"
    assert dollars(1.2) == "$1.20"
    assert dollars(0.0035) == "$0.0035"


def test_measured_speed_is_the_median_of_finished_replies_of_that_model() -> None:
    messages = [
        reply("q14", 100, 10.0),  # 10 tok/s
        reply("q14", 900, 10.0),  # 90
        reply("q14", 200, 10.0),  # 20
        reply("q14", 900, 1.0, status="interrupted"),
        reply("q7", 1000, 1.0),
        reply("q14", None, 3.0),
        reply("q14", 50, 0.0),
        UserMessage(id="u", content="hi"),
    ]
    assert measured_tok_per_s(messages, "q14") == 20.0
    assert measured_tok_per_s(messages, "q7") == 1000.0
    assert measured_tok_per_s(messages, "claude-sonnet-5-5") is None


def test_time_estimate_needs_a_measured_speed() -> None:
    assert estimate_seconds(1500, 20.0) == 75.0
    assert estimate_seconds(1500, None) is None
    assert estimate_seconds(1500, 0.0) is None


def test_cost_uses_the_configured_prices() -> None:
    settings, _ = load_settings(env={})
    # 10,000 in at $3/M + 2,000 out at $15/M = $0.03 + $0.03
    assert estimate_cost("claude-sonnet-5-5", 10_000, 2_000, settings.models) == pytest.approx(0.06)
    assert estimate_cost("claude-haiku-5-5", 1_000_000, 0, settings.models) == pytest.approx(1.0)
    assert estimate_cost("qwen2.5-coder:14b", 10_000, 2_000, settings.models) is None
    half = {"m": ModelSettings(8192, 1.0, None)}
    assert estimate_cost("m", 10, 10, half) is None


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_model_info_has_built_in_claude_defaults_and_nothing_for_others() -> None:
    settings, _ = load_settings(env={})
    assert settings.model_info("claude-sonnet-5-5") == ModelSettings(200_000, 3.0, 15.0)
    assert settings.model_info("claude-haiku-5-5") == ModelSettings(200_000, 1.0, 5.0)
    assert settings.model_info("qwen2.5-coder:14b") == ModelSettings(None, None, None)


def test_model_tables_in_the_config_add_models_and_correct_single_values() -> None:
    write_config(
        '[models."qwen2.5-coder:14b"]\ncontext_window = 32768\n'
        '[models."claude-sonnet-5-5"]\noutput_price_per_mtok = 16\n'
    )
    settings, problems = load_settings(env={})
    assert problems == []
    assert settings.model_info("qwen2.5-coder:14b") == ModelSettings(32_768, None, None)
    assert settings.model_info("claude-sonnet-5-5") == ModelSettings(200_000, 3.0, 16.0)
    report = format_settings(settings, problems)
    assert "qwen2.5-coder:14b  32,768 tokens; ? / ?" in report
    assert "claude-sonnet-5-5  200,000 tokens; $3 / $16" in report


def test_bad_model_values_are_reported_with_line_and_key() -> None:
    path = write_config(
        '[models."qwen2.5-coder:14b"]\ncontext_window = "big"\n'
        "input_price_per_mtok = -1\nwindow = 3\n"
        "[models]\nplain = 4\n"
    )
    settings, problems = load_settings(env={})
    assert [(p.line, p.key) for p in problems] == [
        (2, 'models."qwen2.5-coder:14b".context_window'),
        (3, 'models."qwen2.5-coder:14b".input_price_per_mtok'),
        (4, 'models."qwen2.5-coder:14b".window'),
        (6, "models.plain"),
    ]
    assert str(problems[0]).startswith(
        f'{display_path(path)}:2: [models."qwen2.5-coder:14b"] context_window: '
        'expected a whole number, got "big"'
    )
    assert "expected a table" in problems[3].message
    assert settings.model_info("qwen2.5-coder:14b") == ModelSettings(None, None, None)


def test_the_example_config_documents_the_built_in_model_values() -> None:
    write_config(EXAMPLE_CONFIG)
    settings, problems = load_settings(env={})
    defaults, _ = load_settings(path=Path("/nonexistent/config.toml"), env={})
    assert problems == []
    assert settings.models == defaults.models
    assert '[models."claude-sonnet-5-5"]' in EXAMPLE_CONFIG
