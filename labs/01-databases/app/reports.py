"""Revenue reports for a period [start, end), computed by the database in one query."""

from __future__ import annotations


def revenue(url: str, start: str, end: str) -> dict:
    raise NotImplementedError("TODO: revenue (see README.md, 'Reports')")


def top_customers(url: str, start: str, end: str, limit: int = 10) -> list[dict]:
    raise NotImplementedError("TODO: top_customers (see README.md, 'Reports')")
