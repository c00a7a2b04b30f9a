"""Conditional requests (RFC 9110, section 13): ETag, If-None-Match, If-Match."""

import hashlib
import json

from app.models import Product


def etag_of(product: Product) -> str:
    """A strong validator: it changes whenever the product does (the version is bumped by every update)."""
    fields = {"id": product.id, "name": product.name, "price_cents": product.price_cents, "stock": product.stock}
    return '"' + hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20] + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def none_match(if_none_match: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x". True if the client's copy is current."""
    opaque = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == opaque for tag in _tags(if_none_match))


def match(if_match: str, etag: str) -> bool:
    """If-Match uses the strong comparison: weak tags never match."""
    return any(tag == "*" or (tag == etag and not tag.startswith("W/")) for tag in _tags(if_match))
