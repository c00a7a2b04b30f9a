"""A fake payment provider - a real HTTP service that behaves like Stripe's charges API, faults included.

Run it next to your payments API:

    uvicorn --app-dir labs/04-idempotency provider.app:app --port 8001

    POST /charges   header Idempotency-Key (required), JSON {amount_cents, currency, card, reference}
                    201 the charge | 402 card declined (card "tok_declined") | 409 same key in flight
                    422 same key, other payload | 503 injected failure (nothing charged)
    A key the provider has already answered is answered again with the same status and body and
    the header Idempotent-Replayed: true - the provider is idempotent for the keys *you* send it.

Admin endpoints (what the tests use):
    POST /_admin/faults  {"delay_s": 0.5, "fail_next": 1, "drop_next": 1}
        delay_s    every charge answers this much later (a slow provider)
        fail_next  the next N charges answer 503 without charging
        drop_next  the next N charges are made, then the connection drops before the answer:
                   the caller can't know whether it was charged
    GET  /_admin/ledger  {"charges": [...], "requests": [...]}   every charge made, every request seen
    POST /_admin/reset   forget everything
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


class State:
    def __init__(self):
        self.faults = Faults()
        self.charges: list[dict] = []
        self.requests: list[dict] = []
        self.answers: dict[str, tuple[dict, int, dict]] = {}  # key -> (payload, status, body)
        self.in_flight: set[str] = set()
        self.ids = itertools.count(1)


def create_provider() -> FastAPI:
    api = FastAPI(title="Fake payment provider")
    api.state.provider = State()

    def problem(status: int, title: str, **extra) -> JSONResponse:
        return JSONResponse({"type": "about:blank", "title": title, "status": status, **extra}, status,
                            media_type="application/problem+json")

    @api.post("/charges")
    async def charge(body: ChargeIn, idempotency_key: str | None = Header(None)):
        state = api.state.provider  # a slow request that outlives a reset writes to the old state
        state.requests.append({"idempotency_key": idempotency_key, "reference": body.reference, "at": time.time()})
        if not idempotency_key:
            return problem(400, "Idempotency-Key header required")
        payload = body.model_dump()
        # No await between the checks and marking the key in flight: one event loop, so this is atomic.
        if idempotency_key in state.answers:
            stored_payload, status, stored = state.answers[idempotency_key]
            if stored_payload != payload:
                return problem(422, "Idempotency-Key reused with a different payload")
            media = "application/problem+json" if status >= 400 else "application/json"
            return JSONResponse(stored, status, headers={"Idempotent-Replayed": "true"}, media_type=media)
        if idempotency_key in state.in_flight:
            return problem(409, "A request with this Idempotency-Key is in progress")
        if state.faults.fail_next:
            state.faults.fail_next -= 1
            return problem(503, "Provider temporarily unavailable")
        state.in_flight.add(idempotency_key)
        try:
            if state.faults.delay_s:
                await asyncio.sleep(state.faults.delay_s)
            if body.card == DECLINED_CARD:
                status, answer = 402, {"type": "about:blank", "title": "Card declined", "status": 402,
                                       "code": "card_declined"}
            else:
                status, answer = 201, {"id": f"ch_{next(state.ids):06d}", "status": "succeeded", **payload}
                state.charges.append({**answer, "idempotency_key": idempotency_key})
            state.answers[idempotency_key] = (payload, status, answer)
        finally:
            state.in_flight.discard(idempotency_key)
        headers = {}
        if state.faults.drop_next:
            state.faults.drop_next -= 1
            headers[_DROP] = "1"
        media = "application/problem+json" if status >= 400 else "application/json"
        return JSONResponse(answer, status, headers=headers, media_type=media)

    @api.post("/_admin/faults")
    def set_faults(faults: Faults):
        api.state.provider.faults = faults
        return faults

    @api.get("/_admin/ledger")
    def ledger():
        state = api.state.provider
        return {"charges": state.charges, "requests": state.requests}

    @api.post("/_admin/reset")
    def reset():
        api.state.provider = State()
        return {"ok": True}

    return _drop_marked_responses(api)


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

    asgi.state = api.state  # the tests read the state through the wrapper
    return asgi


app = create_provider()


class ProviderServer:
    """The provider under uvicorn in a background thread, on a free port of 127.0.0.1 (for tests)."""

    def __init__(self):
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_provider(), host="127.0.0.1", port=self.port, log_level="critical",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ProviderServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake provider did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)
