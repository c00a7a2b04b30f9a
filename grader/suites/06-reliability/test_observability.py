"""Observability: Prometheus metrics (RED, by route template), a request id accepted, returned,
logged and passed on, JSON log lines, and liveness apart from readiness."""

from __future__ import annotations

import json
import os
import time
import uuid

from _checkout import BREAKER, LINES, PLAIN, VALID_ID, fresh_postcode, value

from grader.testing import fail

REQUESTS, DURATION = "http_requests_total", "http_request_duration_seconds"
ORDER_ROUTE = "/orders/{order_id}"


def place_order(checkout) -> int:
    postcode = fresh_postcode()
    answer = checkout.checkout(postcode)
    checkout.expect_order(answer, postcode, "live")
    return answer.json()["order_id"]


def test_requests_are_counted_by_route_and_status(plain):
    plain.require_checkout()
    before = plain.metrics()
    ids = [place_order(plain) for _ in range(3)]
    for order_id in ids[:2]:
        plain.request("GET", f"/orders/{order_id}")
    for missing in (10**9 + 1, 10**9 + 2):
        plain.request("GET", f"/orders/{missing}")
    plain.request("POST", "/checkout", json={"postcode": "", "items": LINES})  # invalid: 422
    after = plain.metrics()
    expected = {
        ("POST", "/checkout", "201"): 3,
        ("GET", ORDER_ROUTE, "200"): 2,
        ("GET", ORDER_ROUTE, "404"): 2,
        ("POST", "/checkout", "422"): 1,
    }
    for (method, route, status), count in expected.items():
        labels = {"method": method, "route": route, "status": status}
        got = value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels)
        if got != count:
            fail(
                f"{REQUESTS}{{method={method!r}, route={route!r}, status={status!r}}} should have grown by {count}, "
                f"it grew by {got:g} (labels: method, route template, status code as a string)"
            )


def test_the_duration_histogram_counts_every_request(plain):
    plain.require_checkout()
    before = plain.metrics()
    order_id = place_order(plain)
    for _ in range(3):
        plain.request("GET", f"/orders/{order_id}")
    after = plain.metrics()
    for method, route, count in (("POST", "/checkout", 1), ("GET", ORDER_ROUTE, 3)):
        labels = {"method": method, "route": route}
        for name, extra in ((f"{DURATION}_count", {}), (f"{DURATION}_bucket", {"le": "+Inf"})):
            got = value(after, name, **labels, **extra) - value(before, name, **labels, **extra)
            if got != count:
                fail(
                    f"{name}{{method={method!r}, route={route!r}{', le=+Inf' if extra else ''}}} should have grown by "
                    f"{count}, it grew by {got:g}: a Histogram labelled by method and route template, observed once "
                    "per request"
                )
        if value(after, f"{DURATION}_sum", **labels) <= value(before, f"{DURATION}_sum", **labels):
            fail(f"{DURATION}_sum{{method={method!r}, route={route!r}}} did not grow: observe each request's duration")


def test_no_label_holds_a_raw_path_or_an_id(plain):
    plain.require_checkout()
    ids = [place_order(plain) for _ in range(2)]
    stray = uuid.uuid4().hex
    for order_id in ids:
        plain.request("GET", f"/orders/{order_id}")
    plain.request("GET", f"/no-such-page/{stray}")
    leaks = sorted(
        {
            f"{name}{{{key}={label!r}}}"
            for name, labels in plain.metrics()
            for key, label in labels
            if stray in label or any(label == f"/orders/{order_id}" for order_id in ids)
        }
    )
    if leaks:
        fail(
            f"metrics labelled by raw path: {leaks[:3]}; label by the route template ({ORDER_ROUTE!r}), and a path no "
            "route matches by one fixed value: a label per id is a new time series per request"
        )


def test_the_request_id_is_echoed_or_made(plain, fresh, sandbox):
    plain.require_checkout()
    given = f"order-{uuid.uuid4().hex[:12]}.retry:1"
    for method, path, body in (("POST", "/checkout", {"postcode": "AB1", "items": LINES}), ("GET", "/orders/1", None)):
        answer = plain.request(method, path, json=body, headers={"X-Request-ID": given})
        if answer.request_id != given:
            fail(
                f"{method} {path} with X-Request-ID: {given} should answer the same X-Request-ID, got {answer.request_id!r}"
            )
    made = [plain.request("GET", "/orders/1").request_id for _ in range(2)]
    if not all(made) or not all(VALID_ID.fullmatch(m) for m in made) or made[0] == made[1]:
        fail(f"requests without X-Request-ID should each get a new one in the answer's X-Request-ID; two got {made}")
    # Every answer: also the 500 of a handler that raised (its database is gone).
    path = f"{sandbox.scratch_dir}/ids-{uuid.uuid4().hex[:8]}.db"
    broken = fresh({**PLAIN, "DATABASE_PATH": path})
    broken.require_checkout()
    os.rename(path, path + ".away")
    try:
        answer = broken.request("GET", "/orders/1", headers={"X-Request-ID": given})
    finally:
        os.rename(path + ".away", path)
    if answer.request_id != given:
        fail(
            f"GET /orders/1 with X-Request-ID: {given}, with the database gone, was answered {answer.status} without "
            f"that X-Request-ID (got {answer.request_id!r}): an exception that leaves your middleware is answered "
            "500 by the server outside it - catch it in the middleware and answer the 500 there, with the id"
        )


def test_a_malformed_request_id_is_replaced(plain):
    plain.require_checkout()
    for bad in ("a" * 129, 'x"}, {"level": "admin', "two words", ""):
        answer = plain.request("GET", "/orders/1", headers={"X-Request-ID": bad})
        got = answer.request_id
        if got is None or got == bad or not VALID_ID.fullmatch(got):
            fail(
                f"an X-Request-ID of {bad[:40]!r} is not 1-128 of [A-Za-z0-9._:-]: it should be replaced by a new id "
                f"(a forged id would forge log lines); the answer carried {got!r}"
            )


def test_the_request_id_reaches_the_shipping_service(plain):
    plain.require_checkout()
    plain.shipping.fail(503, times=1)  # a retry too must carry it
    given, postcode = f"rid-{uuid.uuid4().hex[:12]}", fresh_postcode()
    plain.expect_order(plain.checkout(postcode, request_id=given), postcode, "live")
    seen = [call.request_id for call in plain.shipping.calls(postcode)]
    if seen != [given, given]:
        fail(f"a checkout with X-Request-ID: {given} made calls (a 503, then a retry) carrying X-Request-ID {seen}")
    postcode = fresh_postcode()
    answer = plain.checkout(postcode)
    seen = [call.request_id for call in plain.shipping.calls(postcode)]
    if seen != [answer.request_id]:
        fail(f"a checkout answered X-Request-ID {answer.request_id!r}, but its shipping call carried {seen}")


def _log_records(checkout) -> list[dict]:
    records = []
    for line in checkout.app.output.tail(65536).splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            fail(f"every line the app logs should be one JSON object; this one is not: {line[:200]!r}")
        records.append(record)
    return records


def _answered_line(checkout, request_id: str, status: int) -> tuple[list[dict], int]:
    """The lines logged with ``request_id`` once one says ``status`` (or 5 s later), and how many lines in all."""
    deadline = time.monotonic() + 5  # the line of the answer may come just after the answer
    while True:
        records = _log_records(checkout)
        mine = [r for r in records if r.get("request_id") == request_id]
        if any(r.get("status") == status for r in mine) or time.monotonic() > deadline:
            return mine, len(records)
        time.sleep(0.05)


def test_log_lines_are_json_with_the_request_id(fresh, plain, sandbox):
    plain.require_checkout()
    path = f"{sandbox.scratch_dir}/logs-{uuid.uuid4().hex[:8]}.db"
    checkout = fresh({**BREAKER, "DATABASE_PATH": path})
    given, postcode = f"log-{uuid.uuid4().hex[:12]}", fresh_postcode()
    checkout.checkout(postcode, request_id=given)
    mine, count = _answered_line(checkout, given, 201)
    if not any(r.get("status") == 201 for r in mine):
        fail(
            f'a checkout with X-Request-ID: {given} should log at least one JSON line with "request_id": {given!r} '
            f'and its "status": 201; its lines were {mine[:3]} (of {count} lines)'
        )
    # A request the app fails to handle (its database is gone: an exception, whatever it answers) is
    # logged and counted with the status it was answered, like any other.
    before = checkout.metrics()
    failing = f"log-{uuid.uuid4().hex[:12]}"
    os.rename(path, path + ".away")
    try:
        status = checkout.request("GET", "/orders/1", headers={"X-Request-ID": failing}).status
    finally:
        os.rename(path + ".away", path)
    mine, count = _answered_line(checkout, failing, status)
    if not any(r.get("status") == status for r in mine):
        fail(
            f"GET /orders/1 with X-Request-ID: {failing}, with the database gone, was answered {status}: it should "
            f'log a JSON line with "request_id": {failing!r} and "status": {status} (the status answered, even when '
            f"the handler raised); its lines were {[{k: r.get(k) for k in ('message', 'status')} for r in mine[:3]]}"
        )

    def answered(samples: dict) -> float:  # whatever the route label (another test checks it)
        wanted = {("method", "GET"), ("status", str(status))}
        return sum(v for (name, labels), v in samples.items() if name == REQUESTS and wanted <= labels)

    if (grew := answered(checkout.metrics()) - answered(before)) != 1:
        fail(
            f"GET /orders/1, with the database gone, was answered {status}: {REQUESTS}{{method='GET', "
            f"status='{status}'}} should have grown by 1, it grew by {grew:g} (count the status answered, even "
            "when the handler raised)"
        )


def test_readiness_follows_the_database_and_liveness_does_not(fresh, sandbox, plain):
    plain.require_checkout()
    path = f"{sandbox.scratch_dir}/readiness-{uuid.uuid4().hex[:8]}.db"
    checkout = fresh({**BREAKER, "DATABASE_PATH": path})
    statuses = {}

    def probe(moment: str) -> None:
        statuses[moment] = (
            checkout.request("GET", "/health/live").status,
            checkout.request("GET", "/health/ready").status,
        )

    probe("up")
    os.rename(path, path + ".away")
    try:
        probe("down")
    finally:
        os.rename(path + ".away", path)
    probe("back")
    expected = {"up": (200, 200), "down": (200, 503), "back": (200, 200)}
    if statuses != expected:
        fail(
            f"(GET /health/live, GET /health/ready) with the database reachable, unreachable, then back should be "
            f"{expected}, got {statuses}: readiness checks the database (a real query, a fresh connection); "
            "liveness never does"
        )


def test_the_breaker_and_the_fallbacks_show_in_the_metrics(fresh):
    checkout = fresh({**BREAKER, "BREAKER_COOLDOWN_SECONDS": "60"})
    checkout.require_checkout()
    before = checkout.metrics()
    if ("shipping_breaker_state", frozenset()) not in before or value(before, "shipping_breaker_state") != 0:
        fail("shipping_breaker_state should be 0 (closed) while the service answers")
    checkout.shipping.fail(503)
    for _ in range(5):
        checkout.checkout(fresh_postcode())
    after = checkout.metrics()
    fallbacks = value(after, "shipping_fallbacks_total") - value(before, "shipping_fallbacks_total")
    state = value(after, "shipping_breaker_state")
    if state != 1 or fallbacks != 5:
        fail(
            f"after 5 checkouts against a failing service (BREAKER_FAILURES=3), shipping_breaker_state should be 1 "
            f"(open) and shipping_fallbacks_total should have grown by 5; got {state:g} and {fallbacks:g}"
        )
