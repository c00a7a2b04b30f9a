"""POST /payments: charge the provider at most once per (client, Idempotency-Key)."""

import json
import time
import uuid

from app import crud, provider
from app.core.crash import crash_point
from app.core.problems import PROBLEM_JSON, Problem
from app.deps import ClientIdDep, IdempotencyKeyDep, SessionDep, SettingsDep
from app.idempotency import fingerprint
from app.models import Payment
from app.schemas import PaymentIn
from fastapi import APIRouter, Response

router = APIRouter()
REPLAYED = "Idempotent-Replayed"


@router.post("/payments", status_code=201)
def create_payment(
    payment: PaymentIn, client_id: ClientIdDep, key: IdempotencyKeyDep, session: SessionDep, settings: SettingsDep
) -> Response:
    # By now the headers and the body are valid: a request that fails validation stored nothing.
    outcome = crud.claim_key(session, settings, client_id, key, fingerprint(payment.model_dump()))
    if isinstance(outcome, crud.StoredResponse):
        return Response(outcome.body, outcome.status, media_type=outcome.media_type, headers={REPLAYED: "true"})
    claim = outcome

    # Phase 2: the foreign call, outside any transaction, under the key derived for this request.
    try:
        charge = provider.charge(
            settings,
            idempotency_key=claim.downstream_key,
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            card=payment.card,
            reference=payment.order_id,
        )
    except provider.ProviderDeclined as declined:
        # A final answer: stored and replayed, never retried against the provider.
        body = Problem(
            402,
            "card-declined",
            "Card declined",
            "The payment provider declined the card.",
            provider_code=declined.answer.get("code"),
        ).body
        crud.release(session, claim)  # "only successes are worth remembering"
        return Response(json.dumps(body), 402, media_type=PROBLEM_JSON)
    except provider.ProviderUnavailable as exc:
        # Unknown outcome: maybe charged, maybe not. Store nothing; the retry asks again with the same key.
        crud.release(session, claim)
        raise Problem(
            502, "provider-unavailable", "Payment provider unavailable", f"{exc}. Retry with the same Idempotency-Key."
        ) from None

    crash_point("after_provider_charge")  # the test hook: die here, charged but not recorded

    # Phase 3: the payment and the response, in one transaction.
    record = Payment(
        id=f"pay_{uuid.uuid4().hex[:24]}",
        client_id=client_id,
        order_id=payment.order_id,
        amount_cents=payment.amount_cents,
        currency=payment.currency,
        status="succeeded",
        provider_charge_id=charge["id"],
        created_at=time.time(),
    )
    body = {
        "id": record.id,
        "order_id": record.order_id,
        "amount_cents": record.amount_cents,
        "currency": record.currency,
        "status": record.status,
        "provider_charge_id": record.provider_charge_id,
    }
    return Response(
        crud.finish(session, claim, 201, body, "application/json", payment=record), 201, media_type="application/json"
    )
