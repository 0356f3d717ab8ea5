"""Stream a reply from the first model of a fallback chain that can answer.

A model that is missing, a server that is down or overloaded hands the prompt to the next model
(`fallback.fallback_chain`); once any text has arrived the reply stays with its model. Leaving the
machine for Claude needs the caller's consent. Core module: never imports textual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from workbench.config import ModelRef
from workbench.providers.base import (
    ChatMessage,
    ErrorKind,
    ModelOptions,
    ProviderError,
    TextDelta,
    ToolRequest,
    Usage,
)
from workbench.providers.fallback import (
    FALLBACK_KINDS,
    crosses_to_cloud,
    fallback_chain,
    skip_after,
)
from workbench.providers.ollama_wire import canonical_name
from workbench.providers.router import ProviderRouter
from workbench.textclean import sanitize

SHORT_REASONS = {
    ErrorKind.UNREACHABLE: "server unreachable",
    ErrorKind.MODEL_MISSING: "not installed",
    ErrorKind.OVERLOADED: "overloaded",
    ErrorKind.RATE_LIMITED: "rate limited",
    ErrorKind.SERVER_ERROR: "server error",
}


@dataclass(frozen=True)
class Attempt:
    """A model of the chain that could not answer, and why."""

    model: ModelRef
    error: ProviderError

    @property
    def reason(self) -> str:
        """A few words: "not installed", "server unreachable"."""
        return SHORT_REASONS.get(self.error.kind, self.error.kind.value)


@dataclass(frozen=True)
class Switched:
    """The chain moved on: `model` answers instead, after the `attempts` failed."""

    model: ModelRef
    attempts: tuple[Attempt, ...]

    @property
    def summary(self) -> str:
        """ "qwen2.5-coder:14b not installed; qwen2.5-coder:32b not installed"."""
        return "; ".join(f"{a.model.name} {a.reason}" for a in self.attempts)


Consent = Callable[[ModelRef, tuple[Attempt, ...]], Awaitable[bool]]
"""Asks whether the prompt may go to a cloud model after the local ones failed."""


Opener = Callable[[ModelRef], AsyncIterator[Any]]
"""Starts one model's reply (plain chat, or a tool loop); its events are passed through."""


async def stream_chain(
    router: ProviderRouter,
    chain: list[ModelRef],
    history: list[ChatMessage],
    *,
    system_for: Callable[[ModelRef], str | None],
    options_for: Callable[[ModelRef], ModelOptions | None],
    consent: Consent,
    open_stream: Opener | None = None,
) -> AsyncIterator[Any]:
    """Yield the reply of the first model that answers, announcing each switch with `Switched`.

    Raises the first model's `ProviderError` (with what else was tried) when none answers,
    and any failure that fallback cannot get around (a wrong key, a cut stream) at once.
    """
    attempts: list[Attempt] = []
    allowed_cloud = False
    listing = _Listing(router)
    for candidate in chain:
        if any(skip_after(a.model, a.error.kind, candidate) for a in attempts):
            continue
        if (absent := await listing.absent(candidate)) is not None:
            attempts.append(Attempt(candidate, absent))
            continue
        if attempts:
            if candidate.provider == "anthropic" and not router.settings.anthropic.api_key:
                continue  # no key: Claude cannot answer, and asking would be pointless
            if crosses_to_cloud(chain[0], candidate) and not allowed_cloud:
                if not await consent(candidate, tuple(attempts)):
                    raise _give_up(attempts, declined=candidate)
                allowed_cloud = True  # one yes covers the rest of this chain
            yield Switched(candidate, tuple(attempts))
        answered = False
        try:
            if open_stream is not None:
                stream = open_stream(candidate)
            else:
                stream = router.get(candidate.provider).stream_chat(
                    candidate.name,
                    history,
                    system=system_for(candidate),
                    options=options_for(candidate),
                )
            async for event in stream:
                # Text or a tool that ran means this model is answering: no switching after.
                answered = answered or not isinstance(event, Usage | ToolRequest)
                yield event
            return
        except ProviderError as error:
            if answered or error.kind not in FALLBACK_KINDS:
                raise
            attempts.append(Attempt(candidate, error))
    raise _give_up(attempts)


async def ask_once(router: ProviderRouter, model: ModelRef, instructions: str, text: str) -> str:
    """A one-off answer from `model` (or its fallbacks) to `instructions` and `text`, sanitized.

    No system prompt and no history; a fallback to Claude is declined, never asked about.
    """
    settings = router.settings

    async def no_cloud(_model: ModelRef, _attempts: tuple[Attempt, ...]) -> bool:
        return False

    answer: list[str] = []
    async for event in stream_chain(
        router,
        fallback_chain(settings, model),
        [ChatMessage("user", f"{instructions}\n\n{text}")],
        system_for=lambda _ref: None,
        options_for=settings.options_for,
        consent=no_cloud,
    ):
        if isinstance(event, TextDelta):
            answer.append(event.text)
    return sanitize("".join(answer))


class _Listing:
    """Whether Ollama's model list lacks a model, so it is not asked at all.

    Not asking saves a round trip, and servers imitating Ollama answer HTTP 500 rather than
    404 for a model they do not have. The list is the last /api/tags answer (the status bar
    polls it); before skipping a model it is read again once, so a model pulled a moment ago
    is found. Before any list, every model is tried.
    """

    def __init__(self, router: ProviderRouter) -> None:
        self.router = router
        self.fresh = False

    async def absent(self, candidate: ModelRef) -> ProviderError | None:
        """The error a request for `candidate` would get, when the list lacks it."""
        if candidate.provider != "ollama" or not self._lacks(candidate):
            return None
        if not self.fresh:
            self.fresh = True
            try:
                await self.router.ollama.list_models()
            except ProviderError:
                return None  # the request will say what is wrong
            if not self._lacks(candidate):
                return None
        ollama = self.router.ollama
        return ProviderError(
            ErrorKind.MODEL_MISSING,
            f"Model '{candidate.name}' is not installed on the Ollama server at {ollama.url} "
            f"(its model list does not have it). Run `ollama pull {candidate.name}`, or pick "
            "an installed model.",
        )

    def _lacks(self, candidate: ModelRef) -> bool:
        listed = self.router.ollama.listed
        return listed is not None and canonical_name(candidate.name) not in listed


def _give_up(attempts: list[Attempt], *, declined: ModelRef | None = None) -> ProviderError:
    """The first model's error, saying what else was tried."""
    first = attempts[0].error
    message = first.message
    if len(attempts) > 1:
        others = "; ".join(f"{a.model.name} {a.reason}" for a in attempts[1:])
        message += f"\n\nAlso tried the fallback models: {others}."
    if declined is not None:
        message += f"\n\nNot sent to {declined.name}: you chose to keep the prompt on this machine."
    return ProviderError(first.kind, message)
