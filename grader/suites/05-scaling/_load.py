"""The suite's own load generator: bounded in requests and time, on loopback, in this trusted process.

``burst()`` sends requests all at once and waits for every answer (each bounded by a timeout);
``closed_loop()`` keeps ``clients`` requests in flight for ``duration_s`` and counts what came back
(a closed model: a client sends its next request when the last one is answered).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Call:
    url: str  # the app's base URL
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: dict | None = None


@dataclass
class Reply:
    call: Call
    status: int = 0  # 0: no answer (error says why)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    sent: float = 0.0  # time.monotonic() when sent
    latency_s: float = 0.0
    error: str = ""

    @classmethod
    def of(cls, call: Call, response: httpx.Response, sent: float) -> Reply:
        headers = {name.lower(): value for name, value in response.headers.items()}
        return cls(call, response.status_code, headers, response.content, sent, time.monotonic() - sent)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def describe(self) -> str:
        if self.error:
            return f"no answer ({self.error})"
        return f"{self.status} {self.body[:160].decode('utf-8', 'replace')}"


async def _send(client: httpx.AsyncClient, call: Call, delay_s: float = 0.0) -> Reply:
    if delay_s:
        await asyncio.sleep(delay_s)
    sent = time.monotonic()
    try:
        response = await client.request(call.method, call.url + call.path, headers=call.headers, json=call.body)
        return Reply.of(call, response, sent)
    except httpx.TimeoutException:
        error = "timed out"
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    return Reply(call, sent=sent, latency_s=time.monotonic() - sent, error=error)


class Burst:
    """Calls sent all at once (each on its own connection; call i after ``delays_s[i]``) from a
    background thread. Nothing waits longer than ``timeout_s``; watch the replies come in."""

    def __init__(self, calls: list[Call], *, timeout_s: float, delays_s: list[float] | None = None):
        self.calls, self.timeout_s = calls, timeout_s
        self.delays_s = delays_s or [0.0] * len(calls)
        self.replies: list[Reply | None] = [None] * len(calls)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=self.timeout_s, limits=limits) as client:

            async def one(i: int) -> None:
                self.replies[i] = await _send(client, self.calls[i], self.delays_s[i])

            await asyncio.gather(*(one(i) for i in range(len(self.calls))))

    def answered(self) -> list[Reply]:
        return [reply for reply in self.replies if reply is not None]

    def wait_until(self, condition, timeout_s: float) -> bool:
        """Wait until ``condition(self)`` holds (True) or ``timeout_s`` passed (False)."""
        deadline = time.monotonic() + timeout_s
        while not condition(self):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def result(self) -> list[Reply]:
        """Every reply, in the order of the calls (after at most the timeout and the delays)."""
        self._thread.join(self.timeout_s + max(self.delays_s) + 10)
        return [reply or Reply(call, error="not sent") for call, reply in zip(self.calls, self.replies)]


def burst(calls: list[Call], *, timeout_s: float, delays_s: list[float] | None = None) -> list[Reply]:
    """Send every call at once and return the replies, in order."""
    return Burst(calls, timeout_s=timeout_s, delays_s=delays_s).result()


@dataclass
class LoadReport:
    duration_s: float
    statuses: Counter
    latencies_s: list[float]
    wrong: list[str]  # answers that were not what the check expected

    @property
    def completed(self) -> int:
        return len(self.latencies_s)

    @property
    def throughput(self) -> float:
        return self.completed / self.duration_s

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("inf")


def closed_loop(
    next_call: Callable[[random.Random], Call],
    *,
    clients: int,
    duration_s: float,
    check: Callable[[Reply], str] = lambda reply: "",
    seed: int = 5,
    timeout_s: float = 5.0,
    report: LoadReport | None = None,
) -> LoadReport:
    """``clients`` loops, each sending ``next_call(rng)`` and waiting for the answer, for ``duration_s``.
    Answers that arrive after the end are not counted; ``check(reply)`` says what is wrong with one ("" if
    nothing). Pass the ``report`` of an earlier run to add this one to it."""
    report = report or LoadReport(0.0, Counter(), [], [])
    report.duration_s += duration_s

    async def client_loop(client: httpx.AsyncClient, rng: random.Random, end: float):
        while time.monotonic() < end:
            reply = await _send(client, next_call(rng))
            if time.monotonic() > end:
                break
            report.statuses[reply.status or reply.error] += 1
            report.latencies_s.append(reply.latency_s)
            problem = check(reply)
            if problem and len(report.wrong) < 20:
                report.wrong.append(problem)

    async def main():
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(timeout=timeout_s, limits=limits) as client:
            end = time.monotonic() + duration_s
            tasks = [asyncio.create_task(client_loop(client, random.Random(seed + i), end)) for i in range(clients)]
            await asyncio.wait(tasks, timeout=duration_s + timeout_s)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    return report
