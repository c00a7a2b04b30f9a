"""A fake payment provider - a real HTTP service that behaves like Stripe's charges API, faults included.

Run it next to your payments API:

    uvicorn --app-dir labs/04-idempotency provider.app:app --port 8001

    POST /charges   header Idempotency-Key (required), JSON {amount_cents, currency, card, reference}
                    201 the charge | 402 card declined (card "tok_declined") | 409 same key in flight
                    422 same key, other payload | 503 injected failure (nothing charged)
    A key the provider has already answered is answered again with the same status and body and
    the header Idempotent-Replayed: true - the provider is idempotent for the keys *you* send it.

Faults (``Faults`` below), set through ``ProviderServer.set_faults(...)`` or the admin endpoint:
    delay_s    every charge answers this much later (a slow provider)
    fail_next  the next N charges answer 503 without charging
    drop_next  the next N charges are made, then the connection drops before the answer:
               the caller can't know whether it was charged
    hold       every charge waits (at most HOLD_LIMIT_S) until hold is turned off again

Admin endpoints, for the public tests and for trying it by hand (``create_provider(admin=True)``,
the default):
    POST /_admin/faults  {"delay_s": 0.5, "fail_next": 1, "drop_next": 1, "hold": false}
    GET  /_admin/ledger  {"charges": [...], "requests": [...]}   every charge made, every request seen
    POST /_admin/reset   forget everything

The grader runs this very file with ``admin=False``: no admin endpoint exists, and the hidden tests
set faults and read the ledger from their own process, so nothing your code sends can change them.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import threading
import time

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

DECLINED_CARD = "tok_declined"
HOLD_LIMIT_S = 20.0
_DROP = "x-provider-drop"


class ChargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_cents: int = Field(strict=True, gt=0)
    currency: str = Field(min_length=3, max_length=3)
    card: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=128)


class Faults(BaseModel):
    delay_s: float = Field(0.0, ge=0, le=30)
    fail_next: int = Field(0, ge=0)
    drop_next: int = Field(0, ge=0)
    hold: bool = False


class Ledger:
    """Everything the provider did since the last reset. Replaced (never cleared) by a reset, so a
    slow request that outlives the reset writes to the old ledger, not to the next test's."""

    def __init__(self, faults: Faults | None = None):
        self.faults = faults or Faults()
        self.charges: list[dict] = []  # every charge made
        self.requests: list[dict] = []  # every POST /charges seen
        self.answers: dict[str, tuple[dict, int, dict]] = {}  # key -> (payload, status, body)
        self.in_flight: set[str] = set()
        self.most_in_flight = 0  # the most charges that were in progress at the same moment
        self.ids = itertools.count(1)


def _problem(status: int, title: str, **extra) -> JSONResponse:
    return JSONResponse(
        {"type": "about:blank", "title": title, "status": status, **extra},
        status,
        media_type="application/problem+json",
    )


def create_provider(admin: bool = True):
    """The provider as an ASGI app; ``.state.ledger`` is its ledger (``reset()`` replaces it)."""
    api = FastAPI(title="Fake payment provider")
    api.state.ledger = Ledger()

    @api.post("/charges")
    async def charge(body: ChargeIn, idempotency_key: str | None = Header(None)):
        ledger = api.state.ledger
        ledger.requests.append({"idempotency_key": idempotency_key, "reference": body.reference, "at": time.time()})
        if not idempotency_key:
            return _problem(400, "Idempotency-Key header required")
        payload = body.model_dump()
        # No await between the checks and marking the key in flight: one event loop, so this is atomic.
        if idempotency_key in ledger.answers:
            stored_payload, status, stored = ledger.answers[idempotency_key]
            if stored_payload != payload:
                return _problem(422, "Idempotency-Key reused with a different payload")
            media = "application/problem+json" if status >= 400 else "application/json"
            return JSONResponse(stored, status, headers={"Idempotent-Replayed": "true"}, media_type=media)
        if idempotency_key in ledger.in_flight:
            return _problem(409, "A request with this Idempotency-Key is in progress")
        if ledger.faults.fail_next:
            ledger.faults.fail_next -= 1
            return _problem(503, "Provider temporarily unavailable")
        ledger.in_flight.add(idempotency_key)
        ledger.most_in_flight = max(ledger.most_in_flight, len(ledger.in_flight))
        try:
            held_until = time.monotonic() + HOLD_LIMIT_S
            while ledger.faults.hold and time.monotonic() < held_until:
                await asyncio.sleep(0.005)
            if ledger.faults.delay_s:
                await asyncio.sleep(ledger.faults.delay_s)
            if body.card == DECLINED_CARD:
                status, answer = (
                    402,
                    {"type": "about:blank", "title": "Card declined", "status": 402, "code": "card_declined"},
                )
            else:
                status, answer = 201, {"id": f"ch_{next(ledger.ids):06d}", "status": "succeeded", **payload}
                ledger.charges.append({**answer, "idempotency_key": idempotency_key})
            ledger.answers[idempotency_key] = (payload, status, answer)
        finally:
            ledger.in_flight.discard(idempotency_key)
        headers = {}
        if ledger.faults.drop_next:
            ledger.faults.drop_next -= 1
            headers[_DROP] = "1"
        media = "application/problem+json" if status >= 400 else "application/json"
        return JSONResponse(answer, status, headers=headers, media_type=media)

    if admin:

        @api.post("/_admin/faults")
        def set_faults(faults: Faults):
            api.state.ledger.faults = faults
            return faults

        @api.get("/_admin/ledger")
        def ledger():
            return {"charges": api.state.ledger.charges, "requests": api.state.ledger.requests}

        @api.post("/_admin/reset")
        def reset():
            reset_ledger(api.state)
            return {"ok": True}

    return _drop_marked_responses(api)


def reset_ledger(state) -> None:
    """A new, empty ledger; a charge still held by the old one is let go."""
    state.ledger.faults = Faults()
    state.ledger = Ledger()


class _Dropped(Exception):
    """Raised after the status line went out: uvicorn closes the connection mid-response."""


def _drop_marked_responses(api: FastAPI):
    """Wrap the app: a response marked for dropping sends its headers, then the connection dies."""

    async def asgi(scope, receive, send):
        async def guarded_send(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() != _DROP]
                if len(headers) != len(message.get("headers", [])):
                    await send({**message, "headers": headers})
                    raise _Dropped("response dropped on purpose")
            await send(message)

        await api(scope, receive, guarded_send)

    asgi.state = api.state  # the tests read the ledger through the wrapper
    return asgi


app = create_provider()


class ProviderServer:
    """The provider under uvicorn in a background thread, on a free port of 127.0.0.1 (for tests).

    ``set_faults(...)``, ``reset()`` and ``ledger`` work in-process, with or without admin endpoints.
    """

    def __init__(self, admin: bool = True):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_provider(admin=admin)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="critical", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def ledger(self) -> Ledger:
        return self.app.state.ledger

    def set_faults(self, **faults) -> None:
        self.ledger.faults = Faults(**faults)

    def reset(self) -> None:
        reset_ledger(self.app.state)

    def start(self) -> ProviderServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake provider did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.reset()
        self.server.should_exit = True
        self.thread.join(5)
