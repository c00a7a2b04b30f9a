"""The learner's checkout as the suite sees it: one process with a set of settings, requests to it
(with or without a time limit of the test's own), its metrics parsed with prometheus_client, and
the calls the shipping service got for the test's own postcodes."""

from __future__ import annotations

import functools
import itertools
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from _shipping import ShippingServer, rate_cents
from prometheus_client.parser import text_string_to_metric_families

from grader.testing import LearnerApp, LearnerCrash, fail

FALLBACK_CENTS = 777
LINES = [{"price_cents": 1299, "quantity": 2}, {"price_cents": 450, "quantity": 1}]
SUBTOTAL, ITEMS = 1299 * 2 + 450, 3
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

# Most tests: the breaker never opens and the retry budget never runs out (BREAKER_FAILURES and
# RETRY_BUDGET_MIN far above what a test sends), so each test sees only what it is about.
PLAIN = {
    "SHIPPING_TIMEOUT_SECONDS": "0.5",
    "SHIPPING_DEADLINE_SECONDS": "1.5",
    "SHIPPING_RETRIES": "2",
    "RETRY_BACKOFF_BASE_SECONDS": "0.02",
    "RETRY_BACKOFF_MAX_SECONDS": "0.05",
    "RETRY_BUDGET_RATIO": "0.1",
    "RETRY_BUDGET_MIN": "100000",
    "BREAKER_FAILURES": "100000",
    "BREAKER_COOLDOWN_SECONDS": "60",
    "FALLBACK_SHIPPING_CENTS": str(FALLBACK_CENTS),
}
# Breaker tests: three failed calls open it; no retries, so that calls are checkouts; a longer
# timeout, so that a process just started on a loaded machine doesn't time its first call out.
BREAKER = {
    **PLAIN,
    "BREAKER_FAILURES": "3",
    "SHIPPING_RETRIES": "0",
    "SHIPPING_TIMEOUT_SECONDS": "2",
    "SHIPPING_DEADLINE_SECONDS": "3",
}

_postcodes = itertools.count(1)
_postcodes_lock = threading.Lock()


def fresh_postcode(prefix: str = "T") -> str:
    """A postcode no other test uses: the shipping service's calls for it are this test's."""
    with _postcodes_lock:
        return f"{prefix}{next(_postcodes)}"


@dataclass
class Answer:
    status: int
    headers: httpx.Headers
    text: str
    took_s: float

    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    def describe(self) -> str:
        return f"{self.status} {self.text[:300]}"


class Checkout:
    """One learner process with ``settings``, and the shipping service it calls."""

    def __init__(self, app: LearnerApp, shipping: ShippingServer, settings: dict[str, str]):
        self.app, self.shipping, self.settings = app, shipping, settings

    def setting(self, name: str) -> float:
        return float(self.settings[name])

    def request(self, method: str, path: str, *, within_s: float | None = None, **kwargs) -> Answer:
        """A request; with ``within_s``, one that must be answered that fast (else the test fails,
        and the shipping service recovers, so that what hangs in the app ends)."""
        sent = time.monotonic()
        if within_s is None:
            try:
                response = self.app.request(method, path, **kwargs)
            except LearnerCrash as exc:
                fail(str(exc))
        else:
            try:
                response = _timed_client().request(method, self.app.url + path, timeout=within_s, **kwargs)
            except httpx.TimeoutException:
                fault = self.shipping.fault or "answering"
                self.shipping.recover()
                fail(
                    f"{method} {path} got no answer within {within_s:g} s, with the shipping service "
                    f"{fault}: {self.why_bound(within_s)}"
                )
            except httpx.TransportError as exc:
                fail(f"{method} {path} failed: {exc} (did the app die?)")
        return Answer(response.status_code, response.headers, response.text, time.monotonic() - sent)

    def why_bound(self, within_s: float) -> str:
        return (
            f"each attempt may take SHIPPING_TIMEOUT_SECONDS={self.settings['SHIPPING_TIMEOUT_SECONDS']} s and all "
            f"of them SHIPPING_DEADLINE_SECONDS={self.settings['SHIPPING_DEADLINE_SECONDS']} s "
            f"({within_s:g} s is generous)"
        )

    def checkout(self, postcode: str, *, request_id: str | None = None, within_s: float | None = None) -> Answer:
        headers = {"X-Request-ID": request_id} if request_id is not None else {}
        body = {"postcode": postcode, "items": LINES}
        return self.request("POST", "/checkout", json=body, headers=headers, within_s=within_s)

    def at_once(self, postcodes: list[str], *, within_s: float, ids: list[str] | None = None) -> list[Answer]:
        """Checkouts sent at the same time, each of which must be answered within ``within_s``."""
        ids = ids or [None] * len(postcodes)
        with ThreadPoolExecutor(len(postcodes)) as pool:
            futures = [
                pool.submit(self.checkout, p, request_id=i, within_s=within_s)
                for p, i in zip(postcodes, ids, strict=True)
            ]
            return [future.result() for future in futures]

    def calls(self, postcode: str) -> int:
        return len(self.shipping.calls(postcode))

    # What a checkout should answer --------------------------------------------------------------

    def wrong_order(self, answer: Answer, postcode: str, source: str) -> str:
        """Why ``answer`` is not the 201 order the contract asks for ("" if it is)."""
        shipping = rate_cents(postcode, ITEMS) if source == "live" else FALLBACK_CENTS
        expected = {
            "postcode": postcode,
            "subtotal_cents": SUBTOTAL,
            "shipping_cents": shipping,
            "total_cents": SUBTOTAL + shipping,
            "shipping_source": source,
        }
        body = answer.json()
        got = {k: body.get(k) for k in expected} if isinstance(body, dict) else None
        if answer.status != 201 or got != expected or not isinstance(body.get("order_id"), int):
            what = (
                "the live rate" if source == "live" else f"the fallback rate (FALLBACK_SHIPPING_CENTS={FALLBACK_CENTS})"
            )
            return f"POST /checkout should answer 201 with {expected} and an order_id ({what}), got {answer.describe()}"
        return ""

    def expect_order(self, answer: Answer, postcode: str, source: str, why: str = "") -> None:
        if problem := self.wrong_order(answer, postcode, source):
            fail(f"{problem}{'; ' + why if why else ''}")

    def require_checkout(self) -> str:
        """Fail at once, with one clear message, when a checkout with a healthy service fails. Up to
        three tries: a process just started on a loaded machine may time its first call out (and
        the success that follows resets the breaker's count). Returns the postcode charged live."""
        for _ in range(3):
            postcode = fresh_postcode("OK")
            answer = self.checkout(postcode)
            if not (problem := self.wrong_order(answer, postcode, "live")):
                return postcode
            if answer.status != 201:
                break
        fail(f"this test needs a working checkout first (the shipping service is healthy): {problem}")

    # Metrics ------------------------------------------------------------------------------------

    def metrics(self) -> dict[tuple[str, frozenset], float]:
        """Every sample of /metrics: (sample name, labels) -> value."""
        answer = self.request("GET", "/metrics")
        if answer.status != 200:
            fail(f"GET /metrics should answer 200 with Prometheus' text format, got {answer.describe()}")
        try:
            families = list(text_string_to_metric_families(answer.text))
        except Exception as exc:  # the parser raises ValueError and others on bad input
            fail(f"GET /metrics does not parse as Prometheus' text format: {exc}")
        return {(s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@functools.cache
def _timed_client() -> httpx.Client:
    """One client for every request with a time limit of the test's own, from any thread: making
    an httpx.Client loads the CA bundle (30-100 ms of CPU), and tests send hundreds of them. A
    fresh connection per request, as the app's own client (LearnerApp.client)."""
    return httpx.Client(limits=httpx.Limits(max_keepalive_connections=0, max_connections=None))


def in_background(function):
    pool = ThreadPoolExecutor(1)
    future = pool.submit(function)
    pool.shutdown(wait=False)
    return future
