"""The Idempotency-Key header and the request fingerprint."""

from app.core.problems import Problem  # noqa: F401  (raise Problem(400, ...) for a bad key)


def parse_idempotency_key(header: str | None) -> str:
    """The key from the Idempotency-Key header's value (None when the header is missing).

    Raises Problem(400, ...) if it is missing or malformed: 1 to 255 visible ASCII characters, no
    spaces, optionally wrapped in double quotes (the IETF draft's Structured Field string), which
    are not part of the key.
    """
    # TODO: validate and return the key (README, 'The key': R2).
    raise NotImplementedError("TODO: parse_idempotency_key in app/idempotency.py (see README.md)")


def fingerprint(payload: dict) -> str:
    """A checksum of the validated body (``payment.model_dump()``): equal for equal requests,
    whatever their JSON spelling; different if any field differs."""
    # TODO: hash a canonical form of payload - hashlib.sha256 of json.dumps(..., sort_keys=True).
    raise NotImplementedError("TODO: fingerprint in app/idempotency.py (see README.md)")
