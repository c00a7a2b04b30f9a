"""Fixtures of the Lab 05 suite.

- ``downstream``: the suite's own copy of the catalogue and recommendations services
  (_downstream.py), in a thread of this trusted process: it counts every query, and tests slow
  calls down or hold them from here (there is no control endpoint a submission could call).
- ``main``: the learner's app as two processes with long timers, on the manifest's Redis.
- ``start_short()``: two more processes with short timers (TTL 1 s, a 2 s rate window, small pool), on a
  Redis the suite runs itself (``short_redis``) so that a test can stop it. Started only when a test
  asks, after it checked on ``main`` that what it tests exists at all: the untouched scaffold fails
  without starting them (or that Redis).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _downstream import DownstreamServer
from _servers import RedisServer
from _shop import MAIN, SHORT, Shop

DEFAULT_DELAYS = {"load_s": 0.02, "write_s": 0.02, "recommendations_s": 0.05}  # quick: tests hold calls they need slow


@pytest.fixture(scope="session")
def downstream():
    server = DownstreamServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _downstream_as_usual(downstream):
    downstream.slow_down(**DEFAULT_DELAYS)
    yield
    downstream.release_all()


def _env(redis_url: str, downstream: DownstreamServer) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "CATALOGUE_URL": downstream.url, "RECOMMENDATIONS_URL": downstream.url}


@pytest.fixture(scope="session")
def _main_shop(sandbox, redis_url, downstream):
    shop = Shop(sandbox, _env(redis_url, downstream), MAIN)
    yield shop
    shop.stop()


@pytest.fixture
def main(_main_shop) -> Shop:
    return _main_shop.ready()


@pytest.fixture(scope="session")
def short_redis():
    server = RedisServer()  # started by start_short()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def _short_shop(sandbox, short_redis, downstream):
    shop = Shop(sandbox, _env(short_redis.url, downstream), SHORT)
    yield shop
    shop.stop()


@pytest.fixture
def start_short(_short_shop, short_redis) -> Callable[[], Shop]:
    def start() -> Shop:
        short_redis.start()  # also when a test that stopped it failed before starting it again
        return _short_shop.ready()

    return start
