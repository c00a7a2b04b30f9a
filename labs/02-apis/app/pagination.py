"""Cursor (keyset) pagination: the cursor names the last row seen, not how many rows to skip.

A cursor is opaque to clients and signed, so an edited or made-up one is refused with 400
instead of reaching the database. It names the list and sort it was made for ("products:-price_cents"):
a cursor from one list is no cursor for another.
"""

from fastapi import HTTPException, Request  # noqa: F401


def encode_cursor(scope: str, key: list[int], cursor_key: bytes) -> str:
    """The list and sort it is for, and the sort key of the last row of the page, signed:
    ("products:-price_cents", [899, 2]) -> an opaque string."""
    # TODO: serialise {scope, key}, base64url it, and append an HMAC-SHA256 signature made with
    #       cursor_key (README, R19).
    raise NotImplementedError("TODO: encode_cursor in app/pagination.py (see README.md)")


def decode_cursor(cursor: str, scope: str, key_length: int, cursor_key: bytes) -> list[int]:
    """The key a cursor carries; 400 if we didn't issue it, or issued it for another list or sort."""
    # TODO: check the signature first (hmac.compare_digest), then the scope and the key's length;
    #       raise HTTPException(400, ...) for anything you did not issue - never let it become a 500.
    raise NotImplementedError("TODO: decode_cursor in app/pagination.py (see README.md)")


def next_link(request: Request, cursor: str) -> str:
    """RFC 8288 Link header: the same query with the new cursor."""
    return f'<{request.url.include_query_params(cursor=cursor)}>; rel="next"'
