"""One open session without a screen: its two conversations, the spec's sends, the chores.

`SessionController` owns the session, the settings and router, both `Conversation`s, the spec
versions, the Ollama monitor and the warm-up, and offers the session's verbs: prepare and commit
a send of the spec, the fast model's chores (git summary, critique), model choices, the tools
switch and saving what is unsent. The screen and the `workbench ask/send` commands both use it.
Core module: never imports textual.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.chat.consent import ConsentPolicy
from workbench.chat.conversation import BusyError, Conversation
from workbench.chat.reply import Reply
from workbench.config import ModelRef, Settings, models_for_pane, tier_of
from workbench.ollama_monitor import OllamaMonitor
from workbench.project.attach import (
    as_attachment,
    describe_entry,
    load_entries,
    needs_summary,
    pending_attachments,
)
from workbench.project.attachments import attachment_text
from workbench.project.compress import context_budget
from workbench.project.git import git_history
from workbench.providers.base import ProviderError
from workbench.providers.fallback import expected_answerer
from workbench.providers.ollama_wire import canonical_name
from workbench.providers.router import ProviderRouter
from workbench.session.model import (
    CHAT_PANES,
    AssistantMessage,
    AttachedFile,
    Message,
    ModelChoice,
    Pane,
)
from workbench.session.store import Session
from workbench.spec.critique import critique_request
from workbench.spec.estimate import SendEstimate
from workbench.spec.payload import (
    TYPICAL_REPLY_TOKENS,
    Payload,
    ReadinessWarning,
    build_payload,
    estimate_cost,
    estimate_seconds,
    estimate_tokens,
    readiness_checks,
)
from workbench.spec.templates import is_blank_template
from workbench.usage import measured_tok_per_s, session_cost
from workbench.warm_up import WarmUp

if TYPE_CHECKING:
    from workbench.apply.follow_up import FollowUp
    from workbench.apply.session_changes import SessionChanges
    from workbench.checks.session_loop import SessionLoop

SHOW_TIMEOUT_S = 3.0
"""Longest wait for /api/show: the review opens with "unknown" rather than hang."""


class SendRefused(Exception):
    """The spec cannot be sent now; the message says why and what to do."""


@dataclass(frozen=True)
class SendPlan:
    """Everything the send review shows, and what committing it sends."""

    text: str
    """The spec text to send (and to save as the new version)."""
    payload: Payload
    entries: list[AttachedFile]
    """The files the spec attaches with `@path`, loaded (or why not)."""
    estimate: SendEstimate
    warnings: list[ReadinessWarning]
    model: ModelRef
    """The model the Implement conversation asks."""
    resent_from: int | None = None
    """The version this send repeats, if it is a re-send."""
    problems: tuple[str, ...] = ()
    """Files that could not be attached (they are left out)."""


def initial_model(settings: Settings, session: Session, pane: Pane) -> ModelRef:
    """The model a pane starts with: the session's choice, else its tier's first model."""
    choice = session.meta.models.get(pane)
    candidates = models_for_pane(settings, pane)
    if choice is not None:
        for ref in candidates:
            if ref.provider == choice.provider and ref.name == choice.name:
                return ref
        default_tier = "fast" if pane == "explore" else "quality"
        tier = tier_of(settings, choice.provider, choice.name) or default_tier
        return ModelRef(choice.provider, choice.name, tier)
    return candidates[0]


class SessionController:
    """The work of one open session, for a screen or a command to drive."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        router: ProviderRouter,
        *,
        can_ask_consent: bool = True,
    ) -> None:
        self.session = session
        self.settings = settings
        self.router = router
        self.project_root = Path(session.meta.project_dir)
        self.consent = ConsentPolicy(
            always=settings.anthropic.fallback_without_asking,
            session_allowed=session.meta.cloud_fallback_allowed,
            remember=self._remember_consent,
            can_ask=can_ask_consent,
        )
        """Shared by both conversations: one "always this session" covers both."""
        self.conversations: dict[Pane, Conversation] = {
            pane: Conversation(
                pane,
                session.transcript(pane),
                router,
                initial_model(settings, session, pane),
                project_root=self.project_root,
                consent=self.consent,
                tools_on=session.meta.tools_enabled,
            )
            for pane in CHAT_PANES
        }
        self.monitor = OllamaMonitor(router, settings.ollama.poll_interval_s)
        """What the Ollama server has installed and loaded (polled while the app runs)."""
        self.warm_up = WarmUp(settings, router, self.monitor)
        """Loads the Implement model while the spec is edited."""
        self.versions = session.versions
        self.promote_section: str | None = session.meta.promote_section
        """The spec section notes are promoted to (chosen with P); None = the context section."""

    @functools.cached_property
    def changes(self) -> SessionChanges:
        """The Implement reply's edits, staged for review, applied and undone (loaded on first
        use: start-up does not pay for it)."""
        from workbench.apply import session_changes

        return session_changes.SessionChanges(
            self.session, self.settings, self.router, self.implement, lambda: self.explore.model
        )

    @functools.cached_property
    def loop(self) -> SessionLoop:
        """This round's applies, checks, follow-up and acceptance review (loaded on first use)."""
        from workbench.checks.session_loop import SessionLoop

        return SessionLoop(self.session, self.settings, self.changes, self.implement, self.explore)

    def load(self) -> list[str]:
        """Read both transcripts; what the user should know (skipped lines, session warnings)."""
        warnings = list(self.session.warnings)
        self.session.warnings.clear()
        for conversation in self.conversations.values():
            warnings += conversation.load()
        return warnings

    def conversation(self, pane: Pane) -> Conversation:
        """The Explore or Implement conversation."""
        return self.conversations[pane]

    @property
    def explore(self) -> Conversation:
        return self.conversations["explore"]

    @property
    def implement(self) -> Conversation:
        return self.conversations["implement"]

    # -- session settings -------------------------------------------------------------------

    def _save_meta(self) -> str | None:
        try:
            self.session.save_meta()
        except OSError as error:
            return f"Could not save the session: {error}"
        return None

    def _remember_consent(self) -> None:
        self.session.meta.cloud_fallback_allowed = True
        self.session.save_meta()

    def set_model(self, pane: Pane, model: ModelRef) -> str | None:
        """Use `model` for the pane's next prompts and remember it; a problem, if any."""
        self.conversations[pane].model = model
        self.session.meta.models[pane] = ModelChoice(model.provider, model.name)
        return self._save_meta()

    def remember_models(self) -> str | None:
        """Save each pane's model in the session when it has none yet (a new session)."""
        missing = [pane for pane in CHAT_PANES if pane not in self.session.meta.models]
        for pane in missing:
            model = self.conversations[pane].model
            self.session.meta.models[pane] = ModelChoice(model.provider, model.name)
        return self._save_meta() if missing else None

    def next_model(self, pane: Pane) -> ModelRef:
        """The model after the pane's current one in its tier list (round and round)."""
        models = models_for_pane(self.settings, pane)
        current = self.conversations[pane].model
        names = [(m.provider, m.name) for m in models]
        key = (current.provider, current.name)
        return models[(names.index(key) + 1) % len(models) if key in names else 0]

    def toggle_tools(self) -> tuple[bool, str | None]:
        """Switch the Explore tools on or off for this session; (now on, a problem)."""
        explore = self.explore
        explore.tools_on = not explore.tools_on
        self.session.meta.tools_enabled = explore.tools_on
        return explore.tools_on, self._save_meta()

    def remember_section(self, title: str) -> str | None:
        """Promote notes to this spec section from now on (saved with the session)."""
        self.promote_section = title
        self.session.meta.promote_section = title
        return self._save_meta()

    def save_drafts(self, typed: dict[Pane, str]) -> str | None:
        """Keep what is typed but not sent, for the next time the session opens."""
        drafts: dict[str, str] = {pane: text for pane, text in typed.items() if text.strip()}
        if drafts == self.session.meta.drafts:
            return None
        self.session.meta.drafts = drafts
        problem = self._save_meta()
        return f"Could not save the unsent input: {problem}" if problem else None

    async def stop_replies(self, reason: str) -> None:
        """Stop the replies under way and wait until what arrived is saved."""
        self.warm_up.cancel()
        for conversation in self.conversations.values():
            await conversation.stop(reason)

    # -- what the status bar shows ----------------------------------------------------------

    def all_messages(self) -> list[Message]:
        """The messages of both conversations."""
        return [m for c in self.conversations.values() for m in c.messages]

    def last_reply(self) -> AssistantMessage | None:
        """The newest finished reply of either pane."""
        replies = [
            m for m in self.all_messages() if m.role == "assistant" and m.status != "streaming"
        ]
        return max(replies, key=lambda m: (m.created, m.id), default=None)

    def cloud_cost(self) -> float:
        """USD spent on priced models in this session."""
        return session_cost(self.all_messages(), self.settings.models)

    def waiting_prompts(self) -> int:
        """Prompts of either pane that got no reply and can be sent again."""
        return sum(len(c.waiting_prompts()) for c in self.conversations.values())

    # -- the fast model's chores ------------------------------------------------------------

    async def git_summary(self) -> Reply:
        """Ask the fast model to summarize the recent commits (an Explore turn).

        Raises ToolError (not a git repository) and ConversationError (busy, not saved).
        """
        count = self.settings.project.git_log_commits
        log = await asyncio.to_thread(git_history, self.project_root, count)
        entry = AttachedFile(
            path=f"git log -n {count}",
            size_bytes=len(log.encode()),
            tokens=estimate_tokens(log),
            text=log,
        )
        request = (
            f"Summarize the last {count} commits of this project (the git log is attached): "
            "what changed and why, which parts of the code are active, and anything a task "
            "spec about this codebase should know."
        )
        return self.explore.send(request, kind="git-summary", attachments=[entry])

    def critique(self, spec_text: str) -> Reply:
        """Ask the fast model to review the spec against the exploration (an Explore turn).

        Raises SendRefused when there is nothing to critique, ConversationError when busy.
        """
        if not spec_text.strip() or is_blank_template(spec_text):
            raise SendRefused("Write the spec first: there is nothing to critique yet.")
        return self.explore.send(critique_request(spec_text), kind="critique")

    # -- sending the spec -------------------------------------------------------------------

    async def spec_payload(self, text: str) -> tuple[Payload, list[AttachedFile], list[str]]:
        """The payload for the Implement model: the spec and the files it names with `@path`.

        Large files are summarized by the fast model first (SendRefused when that fails).
        Also returns what could not be attached.
        """
        entries = pending_attachments(text)
        problems: list[str] = []
        if entries:
            over = int(self.settings.project.summarize_over_kb * 1024)
            try:
                entries = await load_entries(
                    entries, self.project_root, summarize_over_bytes=over, ask=self.explore.ask_fast
                )
            except ProviderError as error:
                raise SendRefused(
                    f"Could not summarize an attached file: {error.message}"
                ) from error
            problems = [describe_entry(entry) for entry in entries if entry.error is not None]
        attached = [
            (att.path, attachment_text(att))
            for att in (as_attachment(entry) for entry in entries)
            if att is not None
        ]
        implement = self.implement
        payload = build_payload(implement.model.name, implement.system_prompt, text, attached)
        return payload, entries, problems

    def summarizes_attachments(self, text: str) -> bool:
        """Whether preparing a send of `text` asks the fast model to summarize a file first."""
        over = int(self.settings.project.summarize_over_kb * 1024)
        return any(
            needs_summary(entry, self.project_root, over) for entry in pending_attachments(text)
        )

    async def context_window(self, model: ModelRef) -> int | None:
        """From the config, else (Ollama) from /api/show; None when unknown."""
        configured = self.settings.model_info(model.name).context_window
        if configured or model.provider != "ollama":
            return configured
        try:
            shown = await asyncio.wait_for(self.router.ollama.show(model.name), SHOW_TIMEOUT_S)
        except (ProviderError, TimeoutError):
            return None
        window = shown.get("context_length")
        return window if isinstance(window, int) else None

    def tokens_read(self, model: ModelRef, window: int | None) -> int | None:
        """How much of the request an Ollama model reads, when less than its `window`.

        Ollama gives a model `num_ctx` tokens (the request's, the context it is loaded with, or
        the server's default) and drops the start of a longer prompt; None for Claude.
        """
        if model.provider != "ollama":
            return None
        loaded = self.monitor.state.loaded.get(canonical_name(model.name))
        reads = context_budget(
            self.settings, model, loaded_with=loaded.context_length if loaded else None
        )
        return reads if window is None or reads < window else None

    def reply_limit(self, model: ModelRef) -> int | None:
        """The longest reply `model` may write: its max_tokens, or the Anthropic default."""
        limit = self.settings.options_for(model).max_tokens
        if limit is None and model.provider == "anthropic":
            return self.settings.anthropic.max_tokens
        return limit

    async def prepare_send(self, text: str, *, resent_from: int | None = None) -> SendPlan:
        """What sending `text` to the Implement model would send, cost, and who would answer.

        Raises SendRefused when it cannot be sent now (empty, a reply under way, a file that
        could not be summarized).
        """
        if not text.strip():
            raise SendRefused("The spec is empty: write the task first.")
        implement = self.implement
        if implement.is_streaming:
            raise SendRefused("Implement is still answering: Escape in that pane stops it.")
        model = implement.model
        payload, entries, problems = await self.spec_payload(text)
        state = self.monitor.state
        answerer, fallback_note = expected_answerer(
            self.settings, model, state.installed, reachable=state.reachable
        )
        target = answerer or model
        window = await self.context_window(target)
        explore_texts = [m.content for m in self.explore.messages if m.role != "error"]
        reads = self.tokens_read(target, window)
        warnings = readiness_checks(
            text, payload, context_window=window, explore_texts=explore_texts, reads=reads
        )
        if fallback_note:
            warnings.insert(0, ReadinessWarning("answerer", fallback_note))
        estimate = self._estimate(target, payload, (self.versions.latest() or 0) + 1, window)
        return SendPlan(
            text, payload, entries, estimate, warnings, model, resent_from, tuple(problems)
        )

    def commit_send(self, plan: SendPlan) -> Reply:
        """Save the spec as a new version and send it to the Implement model.

        Raises OSError when the version cannot be saved, ConversationError when the prompt
        cannot be (nothing is sent then).
        """
        if self.implement.is_streaming:  # it may have started while the review was open
            raise BusyError("Implement is still answering: Escape in that pane stops it.")
        self.warm_up.cancel()  # Ollama serves one request per model: the send goes first
        version = self.versions.save(plan.text)
        note = f"re-send of v{plan.resent_from}" if plan.resent_from else None
        return self.implement.send(
            plan.text, kind="spec", spec_version=version, note=note, attachments=plan.entries
        )

    def _estimate(
        self, target: ModelRef, payload: Payload, version: int, window: int | None
    ) -> SendEstimate:
        """What the send review says about sending `payload` to `target` (`window` tokens)."""
        # The same model may have answered in Explore: its speed there is its speed here.
        tok_per_s = measured_tok_per_s(self.all_messages(), target.name)
        max_tokens = self.reply_limit(target)
        typical = min(TYPICAL_REPLY_TOKENS, max_tokens) if max_tokens else TYPICAL_REPLY_TOKENS
        prices, tokens_in = self.settings.models, payload.total_tokens
        return SendEstimate(
            model=target.name,
            tier=target.tier or target.provider,
            context_window=window,
            reads=self.tokens_read(target, window),
            tok_per_s=tok_per_s,
            seconds=estimate_seconds(typical, tok_per_s),
            cost_usd=estimate_cost(target.name, tokens_in, typical, prices),
            version=version,
            cost_min_usd=estimate_cost(target.name, tokens_in, 0, prices),
            cost_max_usd=estimate_cost(target.name, tokens_in, max_tokens, prices)
            if max_tokens
            else None,
            max_tokens=max_tokens,
        )

    # -- the loop's follow-ups ----------------------------------------------------------------

    async def prepare_follow_up(self, follow_up: FollowUp) -> SendPlan:
        """The send review of a follow-up: the Implement conversation so far, then the
        follow-up's text, to the Implement model. SendRefused when it cannot go now."""
        implement = self.implement
        if implement.is_streaming:
            raise SendRefused("Implement is still answering: Escape in that pane stops it.")
        text = follow_up.text
        if not text:
            raise SendRefused("Nothing to send back: no failed edit, note or check.")
        state = self.monitor.state
        answerer, fallback_note = expected_answerer(
            self.settings, implement.model, state.installed, reachable=state.reachable
        )
        target = answerer or implement.model
        from workbench.apply.follow_up import follow_up_payload

        payload = follow_up_payload(
            implement.model.name, implement.system_prompt, implement.messages, text
        )
        warnings = [ReadinessWarning("answerer", fallback_note)] if fallback_note else []
        window = await self.context_window(target)
        estimate = self._estimate(target, payload, self.versions.latest() or 0, window)
        return SendPlan(text, payload, [], estimate, warnings, implement.model)

    def commit_follow_up(self, plan: SendPlan) -> Reply:
        """Send a reviewed follow-up to the Implement model (ConversationError if it cannot)."""
        if self.implement.is_streaming:
            raise BusyError("Implement is still answering: Escape in that pane stops it.")
        self.warm_up.cancel()
        return self.implement.send(plan.text, kind="follow-up")
