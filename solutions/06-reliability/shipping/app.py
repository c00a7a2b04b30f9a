"""The shipping-rates service the Duck Shop's checkout calls - unreliable on purpose, and counting
every call it gets.

Run it next to your app (the grader runs its own copy, and drives its faults from the test code):

    .venv/bin/python labs/06-reliability/shipping/app.py         # http://127.0.0.1:8002

    GET /rates?postcode=NW1&items=3   200 {"postcode": "NW1", "items": 3, "cents": 449}
                                      422 (problem+json) for a postcode starting with "ZZ": not served
    GET /_stats                       the calls it got: how many, and the X-Request-ID of each

Faults when run by hand, from the environment: LATENCY_SECONDS (0.05) before every answer,
ERROR_RATE (0.0) the share of calls answered 503, HANG_RATE (0.0) the share that never answer
(until HANG_LIMIT_SECONDS, 30), SEED (6) for the random draws.

Tests run a ``ShippingServer`` in a thread and drive it from Python (there is no control endpoint
a submission could call): ``slow(s)``, ``fail(status, times)``, ``hang(times)``, ``stall_body()``,
``recover()``, and read ``calls(postcode)``: when each call arrived and with which request id.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

HANG_LIMIT_S = float(os.environ.get("HANG_LIMIT_SECONDS", "30"))  # nothing hangs longer than this


def rate_cents(postcode: str, items: int) -> int:
    """The live rate: 2.99 for one item, 1.00 more per extra item, plus a zone surcharge."""
    zone = sum(postcode.upper().encode()) % 5
    return 299 + 100 * (items - 1) + 50 * zone


@dataclass(frozen=True)
class Call:
    at: float  # time.monotonic() when the call arrived
    postcode: str
    request_id: str | None  # the X-Request-ID header it carried, if any


@dataclass
class State:
    latency_s: float = float(os.environ.get("LATENCY_SECONDS", "0.05"))
    error_rate: float = float(os.environ.get("ERROR_RATE", "0.0"))
    hang_rate: float = float(os.environ.get("HANG_RATE", "0.0"))
    failures_left: float = 0  # the next calls answered `failure_status` (inf: all of them)
    failure_status: int = 503
    hangs_left: float = 0  # the next calls wait (no answer) until recover() (inf: all of them)
    stalling: bool = False  # every call sends its headers and part of its body, then waits
    generation: int = 0  # recover() increments it: what waits goes on
    calls: list[Call] = field(default_factory=list)
    random: random.Random = field(default_factory=lambda: random.Random(int(os.environ.get("SEED", "6"))))
    lock: threading.Lock = field(default_factory=threading.Lock)  # tests read and set this from their thread


async def _wait_while(condition, limit_s: float = HANG_LIMIT_S) -> None:
    deadline = time.monotonic() + limit_s
    while condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status, media_type="application/problem+json")


def create_shipping(state: State | None = None) -> FastAPI:
    state = state or State()
    api = FastAPI(title="Duck Shop shipping rates (unreliable on purpose)")
    api.state.shipping = state

    @api.get("/rates")
    async def rates(request: Request, postcode: str = Query(min_length=1, max_length=16), items: int = Query(ge=1)):
        with state.lock:
            state.calls.append(Call(time.monotonic(), postcode, request.headers.get("x-request-id")))
            failing = state.failures_left > 0 or state.random.random() < state.error_rate
            if state.failures_left > 0:
                state.failures_left -= 1
            hanging = state.hangs_left > 0 or state.random.random() < state.hang_rate
            if state.hangs_left > 0:
                state.hangs_left -= 1
            status, generation, latency_s = state.failure_status, state.generation, state.latency_s
        if hanging:
            await _wait_while(lambda: state.generation == generation)
        if latency_s:
            await asyncio.sleep(latency_s)
        if failing:
            return _problem(status, "Shipping rates unavailable", "an injected failure")
        if postcode.upper().startswith("ZZ"):
            return _problem(422, "Postcode not served", f"we do not ship to {postcode}")
        body = f'{{"postcode": "{postcode}", "items": {items}, "cents": {rate_cents(postcode, items)}}}'
        if state.stalling:

            async def stalled():
                yield body[:10].encode()
                await _wait_while(lambda: state.stalling)
                yield body[10:].encode()

            return StreamingResponse(stalled(), media_type="application/json")
        return JSONResponse({"postcode": postcode, "items": items, "cents": rate_cents(postcode, items)})

    @api.get("/_stats")
    def stats():
        with state.lock:
            return {"calls": len(state.calls), "request_ids": [call.request_id for call in state.calls[-100:]]}

    return api


class ShippingServer:
    """The service under uvicorn in a background thread, on a free port of 127.0.0.1 (for tests)."""

    def __init__(self) -> None:
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = State(latency_s=0.0, error_rate=0.0, hang_rate=0.0)
        config = uvicorn.Config(create_shipping(self.state), host="127.0.0.1", port=self.port, log_level="critical")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ShippingServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the shipping service did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.recover()
        self.server.should_exit = True
        self.thread.join(5)

    # What tests use ---------------------------------------------------------------------------

    def slow(self, latency_s: float) -> None:
        """Every answer waits ``latency_s`` first."""
        self.state.latency_s = latency_s

    def fail(self, status: int = 503, times: float = float("inf")) -> None:
        """The next ``times`` calls (default: all) answer ``status``."""
        with self.state.lock:
            self.state.failures_left, self.state.failure_status = times, status

    def hang(self, times: float = float("inf")) -> None:
        """The next ``times`` calls (default: all) wait, with no answer, until ``recover()``."""
        with self.state.lock:
            self.state.hangs_left = times

    def stall_body(self) -> None:
        """Every call answers 200 and part of its body, then waits until ``recover()``."""
        self.state.stalling = True

    def recover(self) -> None:
        """No more faults: waiting calls go on, later ones answer at once."""
        with self.state.lock:
            self.state.failures_left, self.state.hangs_left, self.state.stalling = 0, 0, False
            self.state.latency_s = 0.0
            self.state.generation += 1

    @property
    def fault(self) -> str:
        """What is wrong with the service now, in words ("" when nothing is)."""
        state = self.state
        if state.hangs_left:
            return "hanging (no answer)"
        if state.stalling:
            return "stalling (half an answer, then nothing)"
        if state.failures_left:
            return f"answering {state.failure_status}"
        return f"slow ({state.latency_s:g} s a call)" if state.latency_s else ""

    def reset(self) -> None:
        """Recovered, and no calls recorded."""
        self.recover()
        with self.state.lock:
            self.state.calls.clear()

    def calls(self, postcode: str | None = None) -> list[Call]:
        """The calls so far (for one postcode, or all), oldest first."""
        with self.state.lock:
            return [call for call in self.state.calls if postcode is None or call.postcode == postcode]


if __name__ == "__main__":
    import uvicorn

    port = int(os.environ.get("PORT", "8002"))
    print(f"shipping rates on http://127.0.0.1:{port} (GET /_stats for the calls it got)")
    uvicorn.run(create_shipping(), host="127.0.0.1", port=port, log_level="warning")
