"""The request that asks the fast model to critique the spec. Core module: no textual."""

from __future__ import annotations

CRITIQUE_INSTRUCTIONS = """\
Review the task spec below before it goes to a stronger model that will implement it. Use what \
we found in this conversation about the codebase. List, briefly and concretely:

1. Ambiguities: where the implementer would have to guess.
2. Missing acceptance criteria: how we will know it is done.
3. Contradictions: with itself or with what we found in the code.
4. Missing context: facts from this conversation the implementer will need.

Quote the spec's words when you point at them. Do not implement anything."""


def critique_request(spec: str) -> str:
    """The user turn sent to the Explore model (the exploration goes along as the history)."""
    return f"{CRITIQUE_INSTRUCTIONS}\n\n<spec>\n{spec.rstrip()}\n</spec>\n"
