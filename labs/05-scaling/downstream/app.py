"""The two services the Duck Shop's catalogue API calls - slow on purpose, and counting what they see.

Run both on one port next to your app (the grader runs its own copy):

    .venv/bin/python labs/05-scaling/downstream/app.py          # http://127.0.0.1:8001

    GET   /products/{id}          the catalogue: 100,000 products, each with a version that a write
                                  increments. Slow like a busy database: LOAD_DELAY_SECONDS (0.1) a query.
    PATCH /products/{id}          {"price_cents": int, "stock": int} (either or both): the new version.
    GET   /recommendations/{id}   {"product_id", "recommendations": [five ids]}: RECOMMENDATIONS_DELAY_SECONDS (0.2).
    GET   /_stats                 what the services have seen: loads per product, peak concurrency...

Tests run a ``DownstreamServer`` in a thread and drive it from Python: slow calls down, hold them
until released (a read returns the product as it was when the read arrived; a write is applied
when it is let go, and a "written" hold keeps an applied write's answer back), change a product
behind the app's back, and read the counts.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

PRODUCTS = 100_000
DUCKS = [  # name, category, price in cents: the shop's best sellers, in many colours
    ("Classic Yellow Duck", "classic", 499),
    ("Pirate Duck", "costume", 899),
    ("Astronaut Duck", "profession", 1299),
    ("Wizard Duck", "fantasy", 1099),
    ("Giant Bath Duck", "giant", 2499),
    ("Rubber Duck Debugger", "profession", 999),
    ("Ninja Duck", "costume", 899),
    ("Unicorn Duck", "fantasy", 1199),
]
HOLD_LIMIT_S = 10.0  # nothing is held longer than this, released or not


def initial_product(product_id: int) -> dict:
    name, category, price = DUCKS[(product_id - 1) % len(DUCKS)]
    variant = (product_id - 1) // len(DUCKS)
    return {
        "id": product_id,
        "sku": f"DUCK-{product_id:06d}",
        "name": name if variant == 0 else f"{name} No. {variant}",
        "category": category,
        "price_cents": price + 10 * (variant % 50),
        "stock": (product_id * 37) % 500,
        "version": 1,
    }


def recommendations_for(product_id: int) -> list[int]:
    return [(product_id * step) % PRODUCTS + 1 for step in (7, 13, 31, 57, 91)]


class ProductChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    price_cents: int | None = Field(None, gt=0)
    stock: int | None = Field(None, ge=0)


class Hold:
    """Calls of one kind (``"load"``, ``"write"``, ``"written"`` or ``"recommendations"``) for some
    products wait here until ``release()`` (or ``HOLD_LIMIT_S``). With ``until=n`` it also opens by
    itself once ``n`` calls wait at the same time, or ``max_s`` after the first one arrived; with
    ``first=n`` it holds only the first ``n`` calls, and later ones pass."""

    def __init__(
        self,
        kind: str,
        ids: set[int] | None,
        until: int | None = None,
        max_s: float = HOLD_LIMIT_S,
        first: int | None = None,
    ):
        self.kind, self.ids, self.until, self.max_s, self.first = kind, ids, until, max_s, first
        self.arrived = 0  # calls that came to the hold
        self.waiting = 0  # calls waiting in it now
        self.peak = 0  # the most that waited at once
        self.opened = False
        self._event = asyncio.Event()
        self._deadline: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def covers(self, kind: str, product_id: int) -> bool:
        taken = self.first is not None and self.arrived >= self.first
        return kind == self.kind and not self.opened and not taken and (self.ids is None or product_id in self.ids)

    async def wait(self) -> None:
        self._loop = asyncio.get_running_loop()  # set before `opened` is read: see release()
        self.arrived += 1
        self.waiting += 1
        self.peak = max(self.peak, self.waiting)
        if self._deadline is None:
            self._deadline = time.monotonic() + self.max_s
        if self.until is not None and self.waiting >= self.until:
            self._open()
        if self.opened:
            self.waiting -= 1
            return
        try:
            await asyncio.wait_for(self._event.wait(), max(0.0, self._deadline - time.monotonic()))
        except TimeoutError:
            self._open()
        finally:
            self.waiting -= 1

    def _open(self) -> None:
        self.opened = True
        self._event.set()

    def release(self) -> None:
        """Let every waiting call (and every later one) go on. Safe from any thread: `opened` is set
        before `_loop` is read, and wait() does it the other way round, so one of them sees the other."""
        self.opened = True
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._event.set)


@dataclass
class Delays:
    load_s: float = float(os.environ.get("LOAD_DELAY_SECONDS", "0.1"))
    write_s: float = float(os.environ.get("WRITE_DELAY_SECONDS", "0.05"))
    recommendations_s: float = float(os.environ.get("RECOMMENDATIONS_DELAY_SECONDS", "0.2"))


@dataclass
class State:
    delays: Delays = field(default_factory=Delays)
    changed: dict[int, dict] = field(default_factory=dict)  # products written since the start
    loads: Counter = field(default_factory=Counter)  # product id -> product reads
    writes: Counter = field(default_factory=Counter)
    recommendations: Counter = field(default_factory=Counter)
    in_flight: Counter = field(default_factory=Counter)  # kind -> calls being served now
    peak: Counter = field(default_factory=Counter)  # kind -> the most served at once
    holds: list[Hold] = field(default_factory=list)
    failing: set[int] = field(default_factory=set)  # product ids whose recommendations answer 503
    lock: threading.Lock = field(default_factory=threading.Lock)  # tests read this state from their thread

    def product(self, product_id: int) -> dict:
        with self.lock:
            return dict(self.changed.get(product_id) or initial_product(product_id))

    def change(self, product_id: int, **changes) -> dict:
        with self.lock:
            product = dict(self.changed.get(product_id) or initial_product(product_id))
            product.update({k: v for k, v in changes.items() if v is not None})
            product["version"] += 1
            self.changed[product_id] = product
            return dict(product)


def create_downstream(state: State | None = None) -> FastAPI:
    state = state or State()
    api = FastAPI(title="Duck Shop catalogue and recommendations (slow on purpose)")
    api.state.downstream = state

    @asynccontextmanager
    async def serving(kind: str, product_id: int, delay_s: float):
        with state.lock:
            state.in_flight[kind] += 1
            state.peak[kind] = max(state.peak[kind], state.in_flight[kind])
            holds = [hold for hold in state.holds if hold.covers(kind, product_id)]
        try:
            yield
            for hold in holds:
                await hold.wait()
            if delay_s:
                await asyncio.sleep(delay_s)
        finally:
            with state.lock:
                state.in_flight[kind] -= 1

    def not_found(product_id: int) -> JSONResponse:
        return JSONResponse(
            {"type": "about:blank", "title": "No such product", "status": 404, "detail": f"product {product_id}"},
            404,
            media_type="application/problem+json",
        )

    @api.get("/products/{product_id}")
    async def read_product(product_id: int):
        if not 1 <= product_id <= PRODUCTS:
            return not_found(product_id)
        with state.lock:
            state.loads[product_id] += 1
        async with serving("load", product_id, state.delays.load_s):
            product = state.product(product_id)  # as it is when the query arrives
        return product

    @api.patch("/products/{product_id}")
    async def write_product(product_id: int, changes: ProductChanges):
        if not 1 <= product_id <= PRODUCTS:
            return not_found(product_id)
        with state.lock:
            state.writes[product_id] += 1
        async with serving("write", product_id, state.delays.write_s):
            pass
        product = state.change(product_id, **changes.model_dump())  # applied when the write is let go
        async with serving("written", product_id, 0):
            pass  # applied, and its answer held back (a slow network)
        return product

    @api.get("/recommendations/{product_id}")
    async def recommendations(product_id: int):
        with state.lock:
            state.recommendations[product_id] += 1
            failing = product_id in state.failing
        if failing:
            return JSONResponse(
                {"type": "about:blank", "title": "Unavailable", "status": 503, "detail": "try again later"},
                503,
                media_type="application/problem+json",
            )
        async with serving("recommendations", product_id, state.delays.recommendations_s):
            pass
        return {"product_id": product_id, "recommendations": recommendations_for(product_id)}

    @api.get("/_stats")
    def stats():
        with state.lock:
            return {
                "loads": sum(state.loads.values()),
                "most_loaded": state.loads.most_common(10),
                "writes": sum(state.writes.values()),
                "recommendations": sum(state.recommendations.values()),
                "in_flight": dict(state.in_flight),
                "peak_in_flight": dict(state.peak),
            }

    return api


class DownstreamServer:
    """Both services under uvicorn in a background thread, on a free port of 127.0.0.1 (for tests)."""

    def __init__(self, port: int = 0):
        import uvicorn

        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.state = State(delays=Delays())
        config = uvicorn.Config(
            create_downstream(self.state), host="127.0.0.1", port=port, log_level="critical", backlog=4096
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> DownstreamServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the downstream services did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.release_all()
        self.server.should_exit = True
        self.thread.join(5)

    # What tests use ---------------------------------------------------------------------------

    def slow_down(self, *, load_s: float | None = None, write_s: float | None = None, recommendations_s=None):
        delays = self.state.delays
        delays.load_s = delays.load_s if load_s is None else load_s
        delays.write_s = delays.write_s if write_s is None else write_s
        delays.recommendations_s = delays.recommendations_s if recommendations_s is None else recommendations_s

    def hold(
        self, kind: str, ids=None, *, until: int | None = None, max_s: float = HOLD_LIMIT_S, first: int | None = None
    ) -> Hold:
        """Hold calls of ``kind`` ("load", "write", "written", "recommendations") for ``ids`` (None: all)."""
        ids = None if ids is None else set(ids)
        hold = Hold(kind, ids, until=until, max_s=min(max_s, HOLD_LIMIT_S), first=first)
        with self.state.lock:
            self.state.holds = [h for h in self.state.holds if not h.opened] + [hold]
        return hold

    def fail_recommendations(self, ids) -> None:
        """Answer 503 to recommendations of ``ids`` (until ``release_all``)."""
        with self.state.lock:
            self.state.failing |= set(ids)

    def release_all(self) -> None:
        with self.state.lock:
            holds, self.state.holds = self.state.holds, []
            self.state.failing.clear()
        for hold in holds:
            hold.release()

    def product(self, product_id: int) -> dict:
        """The product as the catalogue has it now."""
        return self.state.product(product_id)

    def change(self, product_id: int, **changes) -> dict:
        """Change a product behind the app's back (another system wrote to the database)."""
        return self.state.change(product_id, **changes)

    def loads(self, product_id: int) -> int:
        with self.state.lock:
            return self.state.loads[product_id]

    def writes(self, product_id: int) -> int:
        with self.state.lock:
            return self.state.writes[product_id]

    def in_flight(self, kind: str) -> int:
        with self.state.lock:
            return self.state.in_flight[kind]


if __name__ == "__main__":
    import uvicorn

    port = int(os.environ.get("PORT", "8001"))
    print(f"catalogue and recommendations on http://127.0.0.1:{port} (GET /_stats for the counts)")
    uvicorn.run(create_downstream(), host="127.0.0.1", port=port, log_level="warning", backlog=4096)
