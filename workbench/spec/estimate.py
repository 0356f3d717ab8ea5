"""What sending the spec will cost and who will answer it, as the send review shows it.

Core module: never imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.spec.payload import Payload


@dataclass(frozen=True)
class SendEstimate:
    """What the review shows about the target model."""

    model: str
    tier: str
    context_window: int | None
    """The most the model can read (config, else /api/show); None when unknown."""
    tok_per_s: float | None
    seconds: float | None
    cost_usd: float | None
    """What a typical reply would cost (capped by `max_tokens`); None when unpriced."""
    version: int
    """The number the spec will be saved under when sent."""
    cost_max_usd: float | None = None
    """The most the reply can cost: the payload plus `max_tokens` of output."""
    cost_min_usd: float | None = None
    """The least: the payload read and an empty reply."""
    max_tokens: int | None = None
    """The longest reply the model may write (None: no limit is set)."""
    reads: int | None = None
    """The tokens an Ollama model is given (`num_ctx`), when fewer than `context_window`."""

    def summary(self, payload: Payload) -> str:
        """One line: size, window, time, cost."""
        parts = [f"~{payload.total_tokens:,} tokens in"]
        if self.reads:
            share = payload.total_tokens / self.reads
            window = (
                f"context window {self.context_window:,}, of which it "
                if self.context_window
                else ""
            )
            parts.append(f"{window}reads {self.reads:,} tokens (num_ctx; {share:.0%} used)")
        elif self.context_window:
            share = payload.total_tokens / self.context_window
            parts.append(f"context window {self.context_window:,} ({share:.0%} used)")
        else:
            parts.append("context window unknown")
        if self.seconds is not None and self.tok_per_s:
            parts.append(f"reply ~{self.seconds:.0f} s at {self.tok_per_s:.1f} tok/s (measured)")
        else:
            parts.append("reply time unknown (no earlier reply from this model)")
        if cost := self.cost_text():
            parts.append(cost)
        return " · ".join(parts)

    def cost_text(self) -> str | None:
        """ "$0.0012 to $0.0035 (reply up to 1,024 tokens)", or "~$0.024" when unbounded."""
        if self.cost_usd is None:
            return None
        if self.cost_min_usd is None or self.cost_max_usd is None or not self.max_tokens:
            return f"~{dollars(self.cost_usd)}"
        return (
            f"{dollars(self.cost_min_usd)} to {dollars(self.cost_max_usd)} "
            f"(reply up to {self.max_tokens:,} tokens)"
        )


def dollars(amount: float) -> str:
    """ "$0.024", "$0.0035", "$1.20": enough digits that a small amount is not shown as $0.000."""
    if amount >= 0.1:
        return f"${amount:.2f}"
    if amount >= 0.01:
        return f"${amount:.3f}"
    return f"${amount:.4f}"


def payload_text(payload: Payload) -> str:
    """The payload as one text, part by part (what Copy puts on the clipboard)."""
    system, turns = payload.messages()
    chunks = [f"[system]\n{system}"] if system else []
    chunks += [f"[{turn.role}]\n{turn.content}" for turn in turns]
    return "\n\n".join(chunks)
