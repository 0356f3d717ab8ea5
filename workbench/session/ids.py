"""Ids and timestamps of session records. Core module: never imports textual."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def new_id() -> str:
    """A unique id that sorts by creation time, e.g. `20261121T101502123-3f9a1c0d` (UTC, ms)."""
    now = datetime.now(UTC)
    # 32 random bits: ids made in the same millisecond (a burst of 2,000 in a test) never meet.
    return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}-{secrets.token_hex(4)}"


def now_iso() -> str:
    """The current time as an ISO 8601 UTC timestamp, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
