"""Conditional requests (RFC 9110, section 13): ETag, If-None-Match, If-Match."""

from app.models import Product


def etag_of(product: Product) -> str:
    """A strong validator that changes whenever the product does."""
    # TODO: a quoted string derived from the product's id and version (README, R20).
    raise NotImplementedError("TODO: etag_of in app/conditional.py (see README.md)")


def none_match(if_none_match: str, etag: str) -> bool:
    """True if If-None-Match names the current version (weak comparison: W/"x" matches "x"; * matches)."""
    raise NotImplementedError("TODO: none_match in app/conditional.py (see README.md)")


def match(if_match: str, etag: str) -> bool:
    """True if If-Match names the current version (strong comparison: weak tags never match; * matches)."""
    raise NotImplementedError("TODO: match in app/conditional.py (see README.md)")
