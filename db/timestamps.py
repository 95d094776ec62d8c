"""Timestamps: one shape for every time the database stores (UTC, ISO 8601, to the microsecond)."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    """The current time, UTC, to the microsecond (decisions are ordered by it)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def normalise_timestamp(text: str) -> str:
    """An ISO 8601 date or date-time as UTC to the microsecond, so that text order is time order.

    A date alone is midnight UTC; a time without an offset is taken as UTC. Raises ValueError
    naming the text when it is not ISO 8601.
    """
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2024-03-01 or "
            "2024-03-01T14:30:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
