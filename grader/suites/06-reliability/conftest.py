"""Fixtures of the Lab 06 suite.

- ``shipping``: the suite's own copy of the shipping-rates service (_shipping.py), in a thread of
  this trusted process: it records every call (when, which postcode, which X-Request-ID), and
  tests make it slow, fail, hang or stall from here (no control endpoint a submission could call).
  Every test starts with it healthy and its record empty.
- ``plain``: the learner's checkout with the PLAIN settings, shared by the tests that don't need
  a fresh process (``shared(settings)`` for other settings); ``fresh(settings)``: a new process for a test of process-wide state (the
  breaker, the retry budget, the logs since start). Both start a process with other settings only once
  a checkout works on ``plain``: the untouched scaffold fails at once and starts one process in all.
"""

from __future__ import annotations

import hashlib
import itertools

import pytest
from _checkout import PLAIN, Checkout
from _shipping import ShippingServer

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def shipping():
    server = ShippingServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _shipping_healthy(shipping):
    shipping.reset()
    yield
    shipping.recover()


def _env(sandbox, shipping, settings: dict[str, str], name: str) -> dict[str, str]:
    return {"SHIPPING_URL": shipping.url, "DATABASE_PATH": f"{sandbox.scratch_dir}/{name}.db", **settings}


@pytest.fixture
def shared(shared_app, sandbox, shipping):
    """The process with ``settings``, shared by every test that asks for the same ones."""

    def get(settings: dict[str, str]) -> Checkout:
        if settings != PLAIN:
            get(PLAIN).require_checkout()  # no checkout yet (the scaffold): fail at once, start no other process
        name = "shared-" + hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()[:8]
        return Checkout(shared_app(env=_env(sandbox, shipping, settings, name)), shipping, settings)

    return get


@pytest.fixture
def plain(shared) -> Checkout:
    return shared(PLAIN)


@pytest.fixture
def fresh(start_app, sandbox, shipping, plain):
    def start(settings: dict[str, str]) -> Checkout:
        plain.require_checkout()  # no checkout yet (the scaffold): fail at once, start no process
        env = _env(sandbox, shipping, settings, f"fresh-{next(_databases)}")
        return Checkout(start_app(env=env), shipping, settings)

    return start
