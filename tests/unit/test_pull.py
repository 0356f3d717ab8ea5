"""`workbench pull`'s core: which models, how progress is shown, and pulls against the fake."""

from __future__ import annotations

import io

import pytest

from tests.fakes.ollama_server import (
    FakeOllama,
    closed_port_url,
    model_digest,
    validation_error,
)
from workbench.config import Settings, TierSettings
from workbench.providers.base import ErrorKind, ProviderError, PullProgress
from workbench.providers.ollama import OllamaProvider
from workbench.pull import ProgressPrinter, PullUsageError, pull_model, run_pull, wanted_models


def make_settings(host: str) -> Settings:
    settings = Settings()
    settings.ollama.host = host
    settings.ollama.connect_timeout_s = 2
    settings.tiers = {
        "fast": TierSettings("ollama", ["qwen2.5-coder:7b", "qwen2.5-coder:3b"]),
        "quality": TierSettings("ollama", ["qwen2.5-coder:14b", "qwen2.5-coder:7b"]),
        "cloud": TierSettings("anthropic", ["claude-sonnet-5-5"]),
    }
    return settings


class Tty(io.StringIO):
    """Captured output that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


def layer(
    completed: int, total: int = 4_000_000, digest: str = "sha256:aaaabbbbcccc"
) -> PullProgress:
    """One progress step of a layer download."""
    return PullProgress(f"pulling {digest[7:19]}", digest, total, completed)


def test_wanted_models_from_names_a_tier_or_every_ollama_tier() -> None:
    settings = make_settings("http://127.0.0.1:1")
    assert wanted_models(settings, None, []) == [
        "qwen2.5-coder:7b",
        "qwen2.5-coder:3b",
        "qwen2.5-coder:14b",
    ]
    assert wanted_models(settings, "fast", []) == ["qwen2.5-coder:7b", "qwen2.5-coder:3b"]
    assert wanted_models(settings, None, ["llama3.2", "llama3.2:latest"]) == ["llama3.2"]
    assert wanted_models(settings, "fast", ["x:1b"]) == [
        "x:1b",
        "qwen2.5-coder:7b",
        "qwen2.5-coder:3b",
    ]
    with pytest.raises(PullUsageError, match=r"no tier 'nope' \(tiers: fast, quality, cloud\)"):
        wanted_models(settings, "nope", [])
    with pytest.raises(PullUsageError, match="runs on anthropic"):
        wanted_models(settings, "cloud", [])


def test_plain_output_shows_status_changes_only() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out, tty=False)
    printer.start("m:1b")
    for step in [
        PullProgress("pulling manifest"),
        *(layer(done) for done in (0, 1_000_000, 2_000_000, 4_000_000)),
        layer(512, total=1_024, digest="sha256:ddddeeeeffff"),
        layer(1_024, total=1_024, digest="sha256:ddddeeeeffff"),
        PullProgress("verifying sha256 digest"),
        PullProgress("success"),
    ]:
        printer.update(step)
    assert out.getvalue().splitlines() == [
        "Pulling m:1b",
        "  pulling manifest",
        "  pulling aaaabbbbcccc (4.0 MB)",
        "  pulling ddddeeeeffff (1.0 KB)",
        "  verifying sha256 digest",
        "  success",
    ]
    assert "\r" not in out.getvalue()


def test_terminal_output_redraws_one_bar_per_layer() -> None:
    out = Tty()
    printer = ProgressPrinter(out, tty=True)
    printer.start("m:1b")
    printer.update(PullProgress("pulling manifest"))
    for done in (1_000_000, 1_000_100, 2_000_000, 4_000_000):  # 1_000_100: same percent
        printer.update(layer(done))
    printer.update(PullProgress("success"))
    printer.end_line()
    rows = out.getvalue().split("\n")
    assert rows[0] == "Pulling m:1b"
    assert rows[1] == "\r  pulling manifest"
    redraws = rows[2].split("\r")[1:]
    assert [r.split()[-3] for r in redraws] == ["25%", "50%", "100%"]
    assert redraws[0] == "  pulling aaaabbbbcccc  [######------------------]  25%  1.0/4.0 MB"
    assert rows[3] == "\r  success"


def test_run_pull_skips_installed_models_and_pulls_the_rest(fake_ollama: FakeOllama) -> None:
    out = io.StringIO()
    assert run_pull(make_settings(fake_ollama.url), "fast", [], out=out) == 0
    text = out.getvalue()
    assert "qwen2.5-coder:7b: already installed" in text
    assert "Pulling qwen2.5-coder:3b" in text
    assert f"  pulling {model_digest('qwen2.5-coder:3b')[7:19]} (4683.1 MB)" in text
    assert text.endswith("Pulled: qwen2.5-coder:3b\nAlready installed: qwen2.5-coder:7b\n")
    assert fake_ollama.pulls_started == ["qwen2.5-coder:3b"]
    assert "qwen2.5-coder:3b" in fake_ollama.models


def test_run_pull_with_everything_installed_pulls_nothing(fake_ollama: FakeOllama) -> None:
    out = io.StringIO()
    assert run_pull(make_settings(fake_ollama.url), None, ["llama3.2:3b"], out=out) == 0
    assert out.getvalue().endswith("Already installed: llama3.2:3b\n")
    assert fake_ollama.pulls_started == []


def test_run_pull_reports_a_failed_model_and_goes_on(fake_ollama: FakeOllama) -> None:
    out = io.StringIO()
    code = run_pull(make_settings(fake_ollama.url), None, ["nope:1b", "llama3.2:1b"], out=out)
    assert code == 1
    text = out.getvalue()
    assert "Failed: nope:1b: The Ollama library has no model 'nope:1b'" in text
    assert "Pulled: llama3.2:1b" in text
    assert fake_ollama.pulls_finished == ["llama3.2:1b"]


def test_run_pull_with_the_server_down(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    assert run_pull(make_settings(url), "fast", [], out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert f"Cannot reach Ollama at {url}" in err and "ollama serve" in err


def test_run_pull_of_a_cloud_tier_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_pull(make_settings(closed_port_url()), "cloud", [], out=io.StringIO()) == 2
    assert "tier 'cloud' runs on anthropic" in capsys.readouterr().err


def test_a_pull_the_server_only_claims_to_have_done_fails(fake_ollama: FakeOllama) -> None:
    fake_ollama.pull_lies = True  # "success" for any name, nothing installed
    out = io.StringIO()
    assert run_pull(make_settings(fake_ollama.url), "fast", [], out=out) == 1
    text = out.getvalue()
    assert "  success" in text and "Pulled:" not in text
    assert text.endswith(
        f"Failed: qwen2.5-coder:3b: The server at {fake_ollama.url} said the pull succeeded but "
        "does not list 'qwen2.5-coder:3b' among its models (/api/tags). It may not be a real "
        "Ollama server, or it does not support pulls: check OLLAMA_HOST, or install the model on "
        "that server by its own means.\n"
    )


async def test_pull_model_checks_the_listing_for_every_caller(fake_ollama: FakeOllama) -> None:
    provider = OllamaProvider(fake_ollama.url)
    try:
        steps = [p.status async for p in pull_model(provider, "llama3.2")]
        assert steps[-1] == "success" and "llama3.2:latest" in fake_ollama.models
        fake_ollama.pull_lies = True
        with pytest.raises(ProviderError) as caught:
            async for _ in pull_model(provider, "llama3.2:1b"):
                pass
        assert caught.value.kind is ErrorKind.MODEL_MISSING
        assert f"The server at {fake_ollama.url} said the pull succeeded" in caught.value.message
    finally:
        await provider.aclose()


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (422, validation_error("body", "name"), "HTTP 422: body.name: Field required"),
        (404, {"detail": "Not Found"}, "HTTP 404: Not Found"),
        (
            400,
            {"error": {"message": "pulls are not supported", "type": "invalid_request_error"}},
            "HTTP 400: pulls are not supported",
        ),
        (
            405,
            "<html><body>Method Not Allowed</body></html>",
            "HTTP 405: an HTML page instead of Ollama's JSON",
        ),
    ],
)
def test_a_pull_refused_with_a_foreign_error_body_reads_as_a_sentence(
    fake_ollama: FakeOllama, status: int, body: object, reason: str
) -> None:
    fake_ollama.fixed_answers["/api/pull"] = (status, body)
    out = io.StringIO()
    assert run_pull(make_settings(fake_ollama.url), None, ["llama3.2:1b"], out=out) == 1
    failure = out.getvalue().splitlines()[-1]
    assert failure.startswith(
        f"Failed: llama3.2:1b: The server at {fake_ollama.url} refused to pull 'llama3.2:1b' "
        f"({reason}). It may not be a real Ollama server, or it does not support pulls"
    )
    assert "{" not in failure and "detail" not in failure and "<" not in failure
