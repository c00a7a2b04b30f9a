"""Placing an order: all items or none, and never more units sold than there are in stock."""

from __future__ import annotations


def place_order(
    url: str, customer_id: int, items: list[dict], created_at: str | None = None, fail_after_items: int | None = None
) -> dict:
    # What breaks this? Two buyers for the last duck at the same moment; a crash after the
    # first item was written; an order for a duck the shop doesn't sell.
    raise NotImplementedError("TODO: place_order (see README.md, 'Placing an order')")
