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
    tok_per_s: float | None
    seconds: float | None
    cost_usd: float | None
    version: int
    """The number the spec will be saved under when sent."""

    def summary(self, payload: Payload) -> str:
        """One line: size, window, time, cost."""
        parts = [f"~{payload.total_tokens:,} tokens in"]
        if self.context_window:
            share = payload.total_tokens / self.context_window
            parts.append(f"context window {self.context_window:,} ({share:.0%} used)")
        else:
            parts.append("context window unknown")
        if self.seconds is not None and self.tok_per_s:
            parts.append(f"reply ~{self.seconds:.0f} s at {self.tok_per_s:.0f} tok/s (measured)")
        else:
            parts.append("reply time unknown (no earlier reply from this model)")
        if self.cost_usd is not None:
            parts.append(f"~${self.cost_usd:.3f}")
        return " · ".join(parts)


def payload_text(payload: Payload) -> str:
    """The payload as one text, part by part (what Copy puts on the clipboard)."""
    system, turns = payload.messages()
    chunks = [f"[system]\n{system}"] if system else []
    chunks += [f"[{turn.role}]\n{turn.content}" for turn in turns]
    return "\n\n".join(chunks)
