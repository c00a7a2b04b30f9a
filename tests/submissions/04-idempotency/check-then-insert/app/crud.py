"""The idempotency key's life, one short transaction per phase (none spans the call to the provider).

claim_key        insert the key (or find it): replay, 409, 422 - or this request may proceed
-- call the provider with the row's downstream key (outside any transaction) --
finish           store the final response (and the payment) and unlock, atomically
release          no final answer (the provider's outcome is unknown): unlock, store nothing
"""

import hashlib
import json
import time
import uuid
from dataclasses import dataclass

from app.core.config import Settings
from app.core.problems import Problem
from app.models import IdempotencyKey, Payment
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Claim:
    """This request owns the key and must do the work."""

    key_id: int
    downstream_key: str
    client_id: str = ""
    key: str = ""
    fingerprint: str = ""


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
    now = time.time()
    try:
        with session.begin():
            # The reaper: keys older than the retention are forgotten (Stripe keeps them 24 hours).
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - settings.ttl_s))
            row = session.scalar(
                select(IdempotencyKey).where(IdempotencyKey.client_id == client_id, IdempotencyKey.key == key)
            )
            if row is None:
                # Not seen before: go ahead; finish() records the key together with the response.
                derived = hashlib.sha256(f"{client_id}:{key}".encode()).hexdigest()
                return Claim(-1, derived, client_id, key, fingerprint)
            if row.fingerprint != fingerprint:
                raise Problem(
                    422,
                    "idempotency-key-reused",
                    "Idempotency-Key reused",
                    "This key was used with a different request. Use a new key for a new payment.",
                )
            if row.response_status is not None:
                return StoredResponse(row.response_status, row.response_body, row.response_media_type)
            if row.locked_at is not None and row.locked_at > now - settings.lock_s:
                raise in_flight()
            # Unlocked (an earlier attempt ended without a final answer) or abandoned (its process
            # died): this request takes over and finishes the job with the same downstream key.
            taken = session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.id == row.id,
                    IdempotencyKey.response_status.is_(None),
                    or_(IdempotencyKey.locked_at.is_(None), IdempotencyKey.locked_at <= now - settings.lock_s),
                )
                .values(locked_at=now)
            )
            if taken.rowcount != 1:  # someone else took it over first (PostgreSQL: no global write lock)
                raise in_flight()
            return Claim(row.id, row.downstream_key)
    except IntegrityError:
        raise in_flight() from None


def finish(
    session: Session, claim: Claim, status: int, body: dict, media_type: str, payment: Payment | None = None
) -> str:
    """Store the final answer - and the payment, if there is one - in one transaction. Returns the body text."""
    text = json.dumps(body, separators=(",", ":"))
    with session.begin():
        if payment is not None:
            session.add(payment)
        if claim.key_id == -1:
            session.add(
                IdempotencyKey(
                    client_id=claim.client_id,
                    key=claim.key,
                    fingerprint=claim.fingerprint,
                    downstream_key=claim.downstream_key,
                    created_at=time.time(),
                    response_status=status,
                    response_body=text,
                    response_media_type=media_type,
                )
            )
            return text
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == claim.key_id)
            .values(response_status=status, response_body=text, response_media_type=media_type, locked_at=None)
        )
    return text


def release(session: Session, claim: Claim) -> None:
    """Unlock without an answer: the next retry resumes, asking the provider with the same key."""
    with session.begin():
        session.execute(update(IdempotencyKey).where(IdempotencyKey.id == claim.key_id).values(locked_at=None))
