"""The Idempotency-Key header and the request fingerprint."""

import hashlib
import json
import re

from app.core.problems import Problem

# 1 to 255 visible ASCII characters, no quote or backslash. The IETF draft makes the header a
# Structured Field string - "abc", quoted - and Stripe sends bare keys: we accept both.
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def parse_idempotency_key(header: str | None) -> str:
    if header is None:
        raise Problem(
            400,
            "idempotency-key-missing",
            "Idempotency-Key header required",
            "POST /payments needs an Idempotency-Key header: a fresh random value per payment.",
        )
    value = header.strip()
    if not KEY.match(value):
        raise Problem(
            400,
            "idempotency-key-malformed",
            "Malformed Idempotency-Key",
            "The key must be 1 to 255 visible ASCII characters (optionally in double quotes).",
        )
    return value


def fingerprint(payload: dict) -> str:
    """A checksum of what the request asks for: the validated body, in a canonical JSON form.

    Parsed, not raw: key order, spaces and escapes don't change the request. Sorted keys and no
    spaces give the same text as RFC 8785 (JSON Canonicalization Scheme) for what this body holds -
    strings and integers. (POST /payments is the only endpoint with keys; an API with several
    would put the method and path into the fingerprint too.)
    """
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
