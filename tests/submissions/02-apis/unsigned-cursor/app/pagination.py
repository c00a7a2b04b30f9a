"""Cursor (keyset) pagination: the cursor names the last row seen, not how many rows to skip.

A cursor is opaque to clients and signed, so an edited or made-up one is refused with 400
instead of reaching the database. It names the list and sort it was made for ("products:-price_cents"):
a cursor from one list is no cursor for another.
"""

import base64
import hashlib
import hmac
import json

from fastapi import HTTPException, Request


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, key: bytes) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:16])


def encode_cursor(scope: str, key: list[int], cursor_key: bytes) -> str:
    """The list and sort it is for, and the sort key of the last row of the page, signed:
    ("products:-price_cents", [899, 2]) -> "eyJzIjoi...fQ.3q2-7w..."."""
    payload = _b64(json.dumps({"scope": scope, "key": key}, separators=(",", ":")).encode())
    return payload  # opaque enough?


def decode_cursor(cursor: str, scope: str, key_length: int, cursor_key: bytes) -> list[int]:
    """The key a cursor carries; 400 if we didn't issue it, or issued it for another list or sort."""
    try:
        data = json.loads(_unb64(cursor))
        valid = data["scope"] == scope and len(data["key"]) == key_length
        valid = valid and all(isinstance(value, int) for value in data["key"])
    except (ValueError, KeyError, TypeError):
        raise HTTPException(400, "Invalid cursor.") from None
    if not valid:
        raise HTTPException(400, f"This cursor belongs to another list or sort order, not {scope}.")
    return data["key"]


def next_link(request: Request, cursor: str) -> str:
    """RFC 8288 Link header: the same query with the new cursor."""
    return f'<{request.url.include_query_params(cursor=cursor)}>; rel="next"'
