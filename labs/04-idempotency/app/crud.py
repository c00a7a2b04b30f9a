"""The idempotency key's life, one short transaction per phase (none spans the call to the provider).

    claim_key        insert the key (or find it): replay, 409, 422 - or this request may proceed
    -- call the provider with the row's downstream key (outside any transaction) --
    finish           store the final response (and the payment) and unlock, atomically
    release          no final answer (the provider's outcome is unknown): unlock, store nothing

Use `with session.begin(): ...` for each transaction: it commits at the end of the block.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.problems import Problem
from app.models import IdempotencyKey, Payment  # noqa: F401


@dataclass(frozen=True)
class Claim:
    """This request owns the key and must do the work."""

    key_id: int
    downstream_key: str


@dataclass(frozen=True)
class StoredResponse:
    """The key was used before and finished: answer exactly this again."""

    status: int
    body: str
    media_type: str


def in_flight() -> Problem:
    return Problem(
        409,
        "idempotency-key-in-use",
        "Request in progress",
        "A request with this Idempotency-Key is still being processed. Retry later.",
    )


def claim_key(
    session: Session, settings: Settings, client_id: str, key: str, fingerprint: str
) -> Claim | StoredResponse:
    """Find or create the row for (client_id, key), in one transaction.

    - new key: insert it, locked, with a fresh downstream key -> Claim
    - another fingerprint -> raise Problem(422, ...)
    - finished -> StoredResponse
    - locked less than settings.lock_s ago -> raise in_flight() (409)
    - unlocked, or locked by a request that died -> lock it again -> Claim (same downstream key)
    Two requests may race to insert the same key: what makes exactly one of them win?
    Keys older than settings.ttl_s are forgotten.
    """
    # TODO (README, 'Concurrency', 'Recovery' and 'Retention', and 'Hints - what breaks this?').
    raise NotImplementedError("TODO: claim_key in app/crud.py (see README.md)")


def finish(
    session: Session, claim: Claim, status: int, body: dict, media_type: str, payment: Payment | None = None
) -> str:
    """Store the final answer - and the payment, if there is one - in one transaction; unlock the key.

    Returns the body as the exact text to send, so the first answer and every replay are the same bytes.
    """
    # TODO
    raise NotImplementedError("TODO: finish in app/crud.py (see README.md)")


def release(session: Session, claim: Claim) -> None:
    """Unlock the key without storing an answer: the next retry resumes the work."""
    # TODO
    raise NotImplementedError("TODO: release in app/crud.py (see README.md)")
