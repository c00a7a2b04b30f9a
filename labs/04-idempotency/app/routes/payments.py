"""POST /payments: charge the provider at most once per (client, Idempotency-Key)."""

import time  # noqa: F401
import uuid  # noqa: F401

from fastapi import APIRouter, Response

from app import crud, provider  # noqa: F401
from app.core.crash import crash_point  # noqa: F401
from app.core.problems import PROBLEM_JSON, Problem  # noqa: F401
from app.deps import ClientIdDep, IdempotencyKeyDep, SessionDep, SettingsDep
from app.idempotency import fingerprint  # noqa: F401
from app.models import Payment  # noqa: F401
from app.schemas import PaymentIn

router = APIRouter()
REPLAYED = "Idempotent-Replayed"


@router.post("/payments", status_code=201)
def create_payment(
    payment: PaymentIn, client_id: ClientIdDep, key: IdempotencyKeyDep, session: SessionDep, settings: SettingsDep
) -> Response:
    # TODO (README, 'The contract'), in phases:
    #   1. crud.claim_key(...) with fingerprint(payment.model_dump()): a StoredResponse is sent back as it
    #      was stored, with the header Idempotent-Replayed: true;
    #   2. provider.charge(settings, idempotency_key=<the claim's downstream key>, ...):
    #      ProviderDeclined -> a 402 problem, stored (crud.finish); ProviderUnavailable -> 502, not
    #      stored (crud.release);
    #   3. crash_point("after_provider_charge"), then the payment and its 201 response, stored
    #      together (crud.finish with payment=...).
    raise NotImplementedError("TODO: implement POST /payments in app/routes/payments.py (see README.md)")
