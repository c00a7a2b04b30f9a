"""Cursor (keyset) pagination: the cursor names the last row seen, not how many rows to skip.

A cursor is opaque to clients and signed, so a tampered one is refused with 400 instead of
reaching the database.
"""

from fastapi import HTTPException, Request  # noqa: F401


def encode_cursor(sort: str, key: list[int], secret_key: str) -> str:
    """The sort order and the sort key of the last row of this page, e.g. ("-price_cents", [899, 2])."""
    # TODO: serialise {sort, key}, base64url it, and append an HMAC-SHA256 signature made with
    #       secret_key (README, "Pagination").
    raise NotImplementedError("TODO: encode_cursor in app/pagination.py (see README.md)")


def decode_cursor(cursor: str, sort: str, key_length: int, secret_key: str) -> list[int]:
    """The key a cursor carries; 400 if it was tampered with or made for another sort order."""
    # TODO: check the signature first (hmac.compare_digest), then the sort and the key's length;
    #       raise HTTPException(400, ...) for anything you did not issue - never let it become a 500.
    raise NotImplementedError("TODO: decode_cursor in app/pagination.py (see README.md)")


def next_link(request: Request, cursor: str) -> str:
    """RFC 8288 Link header: the same query with the new cursor."""
    return f'<{request.url.include_query_params(cursor=cursor)}>; rel="next"'
