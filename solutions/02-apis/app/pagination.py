"""Cursor (keyset) pagination: the cursor names the last row seen, not how many rows to skip.

A cursor is opaque to clients and signed, so a tampered one is refused with 400 instead of
reaching the database.
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


def _signature(payload: str, secret_key: str) -> str:
    return _b64(hmac.new(secret_key.encode(), payload.encode(), hashlib.sha256).digest()[:16])


def encode_cursor(sort: str, key: list[int], secret_key: str) -> str:
    """The sort order and the sort key of the last row of this page, e.g. ("-price_cents", [899, 2])."""
    payload = _b64(json.dumps({"sort": sort, "key": key}, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, secret_key)}"


def decode_cursor(cursor: str, sort: str, key_length: int, secret_key: str) -> list[int]:
    """The key a cursor carries; 400 if it was tampered with or made for another sort order."""
    payload, _, signature = cursor.partition(".")
    if not hmac.compare_digest(signature.encode(), _signature(payload, secret_key).encode()):
        raise HTTPException(400, "Invalid cursor: use the next link exactly as you received it.")
    data = json.loads(_unb64(payload))
    if data["sort"] != sort or len(data["key"]) != key_length:
        raise HTTPException(400, "This cursor belongs to another sort order.")
    return data["key"]


def next_link(request: Request, cursor: str) -> str:
    """RFC 8288 Link header: the same query with the new cursor."""
    return f'<{request.url.include_query_params(cursor=cursor)}>; rel="next"'
