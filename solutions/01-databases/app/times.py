"""Timestamps cross the API as ISO 8601 strings, always UTC. Provided."""

from __future__ import annotations

from datetime import UTC, datetime, timezone


def parse(value: str) -> datetime:
    """ "2025-03-01T12:00:00Z" / "...+00:00" / naive (taken as UTC) -> an aware UTC datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """An aware or naive-UTC datetime (SQLite gives those back) -> "2025-03-01T12:00:00.000000+00:00"."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now() -> datetime:
    return datetime.now(UTC)
