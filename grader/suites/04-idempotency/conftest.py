"""Fixtures of the Lab 04 suite: the trusted fake provider, and the learner's payments API pointed at it.

The provider is the lab's own provider/app.py (copied here as _provider.py), run with no admin
endpoints in a thread of this trusted process on 127.0.0.1: the tests set its faults and read its
ledger in-process, so nothing a submission sends can change what it counts.

The learner's API runs as the learner, in long-lived processes shared by the tests (each test is
a new client with new keys, so they never meet): ``sqlite`` and ``postgres`` with the README's
settings, ``short`` on SQLite with a short provider timeout and lock, ``doomed`` on the same
database dying right after a charge, and ``ttl`` with a short retention. The first is started by
the first test; the others together, once a plain payment works (the scaffold never starts them).
On PostgreSQL, ``writes_held`` holds the app's writes back from this process, so that concurrent
requests all read before any of them writes: a read-then-write race shows in every run.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from _provider import ProviderServer

from grader.testing import LearnerApp, LearnerCrash, fail

BODY = {"order_id": "order-1001", "amount_cents": 2599, "currency": "EUR", "card": "tok_visa"}
PROBLEM_JSON = "application/problem+json"
CHECK_ORDER = "grader-check"  # the order of the suite's own "does a payment work?" check
CLIENTS = 200  # API keys in API_KEYS: every test takes new clients from them
WRITES_LOCK_TIMEOUT_S = 10  # writes_held: how long an app's own open write may keep the suite waiting


class Provider:
    """The suite's view of the fake provider: faults, the ledger, waiting for it."""

    def __init__(self, server: ProviderServer):
        self.server, self.url = server, server.url

    def reset(self) -> None:
        self.server.reset()

    def faults(self, **faults) -> None:
        self.server.set_faults(**faults)

    def charges(self) -> list[dict]:
        return [c for c in list(self.server.ledger.charges) if c["reference"] != CHECK_ORDER]

    def requests(self) -> list[dict]:
        return [r for r in list(self.server.ledger.requests) if r["reference"] != CHECK_ORDER]

    def in_flight(self) -> int:
        return len(self.server.ledger.in_flight)

    def most_in_flight(self) -> int:
        return self.server.ledger.most_in_flight

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Every charge that arrives waits at the provider until the block ends."""
        self.faults(hold=True)
        try:
            yield
        finally:
            self.faults()


def same_json(a: httpx.Response, b: httpx.Response) -> bool:
    """The same JSON document (bytes are R9's, checked once: test_a_retry_gets_the_stored_response_exactly)."""
    try:
        return a.json() == b.json()
    except ValueError:
        return a.content == b.content


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Clients:
    """The API keys the learner's app knows (API_KEYS), handed out one client at a time."""

    def __init__(self, count: int):
        self.keys = {f"client-{i:03d}": f"sk_test_{secrets.token_hex(12)}" for i in range(count)}
        self._free = iter(self.keys)
        self._lock = threading.Lock()

    def env(self) -> str:
        return ",".join(f"{client}:{key}" for client, key in self.keys.items())

    def take(self) -> tuple[str, str]:
        with self._lock:
            client = next(self._free, None)
        if client is None:
            raise RuntimeError("the suite ran out of clients: raise CLIENTS")
        return client, self.keys[client]


class Payments:
    """The learner's API, as one client (one API key).

    ``app`` is a LearnerApp, or a function that starts one: it is called at once, and if it
    fails, the test fails when it first uses the app - a failed test, not an error in its setup.
    """

    def __init__(
        self, app: LearnerApp | Callable[[], LearnerApp], clients: Clients, database: Callable[[], str] | None = None
    ):
        self._app, self._failure = self._start(app)
        self.client_id, self.api_key = clients.take()
        self.postgres = database  # the app's PostgreSQL database (its URL, when asked), if it has one

    @staticmethod
    def _start(app: LearnerApp | Callable[[], LearnerApp]) -> tuple[LearnerApp | None, str]:
        if isinstance(app, LearnerApp):
            return app, ""
        try:
            return app(), ""
        except (pytest.fail.Exception, LearnerCrash) as exc:
            return None, str(exc)

    @property
    def app(self) -> LearnerApp:
        if self._app is None:
            fail(self._failure)
        return self._app

    def pay(self, key: str | None, body=BODY, api_key: str | None = None, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {api_key or self.api_key}", **kwargs.pop("headers", {})}
        if key is not None:
            headers["Idempotency-Key"] = key
        if "content" in kwargs:
            headers.setdefault("Content-Type", "application/json")
            return self.app.request("POST", "/payments", headers=headers, **kwargs)
        return self.app.request("POST", "/payments", json=body, headers=headers, **kwargs)

    def on(self, app: LearnerApp | Callable[[], LearnerApp]) -> Payments:
        """The same client, talking to another process of the app."""
        other = Payments.__new__(Payments)
        other._app, other._failure = self._start(app)
        other.client_id, other.api_key, other.postgres = self.client_id, self.api_key, None
        return other


def new_key() -> str:
    return str(uuid.uuid4())


def paid(api: Payments, key: str, body=BODY) -> httpx.Response:
    """A payment that must succeed for the test to go on."""
    response = api.pay(key, body)
    if response.status_code != 201:
        fail(f"this test needs a payment to succeed first: expected 201, got {describe(response)}")
    return response


@pytest.fixture(scope="session")
def clients() -> Clients:
    return Clients(CLIENTS)


@pytest.fixture(scope="session")
def _provider_server():
    server = ProviderServer(admin=False).start()
    yield Provider(server)
    server.stop()


@pytest.fixture
def provider(_provider_server) -> Iterator[Provider]:
    _provider_server.reset()
    yield _provider_server
    _provider_server.reset()  # lets go of anything still held


def sqlite_url(sandbox) -> str:
    return f"sqlite:///{sandbox.scratch_dir}/payments-{uuid.uuid4().hex}.db"


# The learner's app processes the suite shares. "doomed" is a second process on the "short"
# database, which dies right after the provider charged (and before that answers replays).
TTL_S = 2
# Which fixture needs which processes: those the selected tests need are started together, in
# parallel, once a plain payment works (the untouched scaffold never starts them).
NEEDS = {
    "engine_payments": ("postgres",),
    "short_payments": ("short",),
    "doomed_payments": ("doomed",),
    "ttl_payments": ("ttl",),
}


class Apps:
    """The shared learner apps (grader's ``shared_app``: each started once, again if a test killed it)."""

    def __init__(self, shared_app, sandbox, provider: Provider, clients: Clients, postgres_url: Callable[[], str]):
        self.shared_app, self.sandbox, self.provider, self.clients = shared_app, sandbox, provider, clients
        self.postgres_url = postgres_url
        self.envs: dict[str, dict[str, str]] = {}
        self.wanted: set[str] = set()
        self.works = False

    def env(self, kind: str) -> dict[str, str]:
        """The environment of one kind of app, the same every time (so shared_app reuses it)."""
        if kind not in self.envs:
            settings = {"PROVIDER_TIMEOUT_SECONDS": 4, "IDEMPOTENCY_LOCK_SECONDS": 10}
            if kind in ("short", "doomed"):
                settings = {"PROVIDER_TIMEOUT_SECONDS": 1, "IDEMPOTENCY_LOCK_SECONDS": 1.5}
            if kind == "doomed":
                settings["CRASH_AFTER_PROVIDER_CHARGE"] = 1
            if kind == "ttl":
                settings["IDEMPOTENCY_TTL_SECONDS"] = TTL_S
            if kind == "doomed":
                database = self.env("short")["DATABASE_URL"]
            elif kind == "postgres":
                database = new_postgres_database(self.postgres_url())
            else:
                database = sqlite_url(self.sandbox)
            self.envs[kind] = {
                "DATABASE_URL": database,
                "PROVIDER_URL": self.provider.url,
                "API_KEYS": self.clients.env(),
                **{k: str(v) for k, v in settings.items()},
            }
        return self.envs[kind]

    def get(self, kind: str) -> LearnerApp:
        """The app, running; for any but the first, only once a plain payment works."""
        if kind != "sqlite":
            self.require_working_payments()
        return self.shared_app(env=self.env(kind))

    def require_working_payments(self) -> None:
        """Fail fast - before starting more app processes - when a plain payment doesn't work yet."""
        if self.works:
            return
        response = Payments(self.get("sqlite"), self.clients).pay(new_key(), {**BODY, "order_id": CHECK_ORDER})
        if response.status_code != 201:
            fail(f"this test needs a working POST /payments first (R6); a plain payment got {describe(response)}")
        self.works = True
        self._start_together(self.wanted)

    def _start_together(self, kinds) -> None:
        """Start these apps side by side (starting is mostly imports: two cores halve it). Apps on
        one database ("doomed" shares the file of "short") start one after the other: two first
        start-ups on a new SQLite file race to set it up (its journal mode, its tables), and one can
        fail on a loaded machine - a failure of the grader's making, not the learner's. The
        calling test waits, so no test's clean-up runs while processes are being spawned."""

        def start(envs: list[dict[str, str]]) -> None:
            for env in envs:
                try:
                    self.shared_app(env=env)
                except BaseException:  # a start that fails: the test that needs the app says why
                    pass

        by_database: dict[str, list[dict[str, str]]] = {}
        for kind in sorted(kinds):  # here, not in the threads: the env of "doomed" is made from "short"'s
            try:
                env = self.env(kind)
            except BaseException:  # no PostgreSQL here: the test that needs it says why
                continue
            by_database.setdefault(env["DATABASE_URL"], []).append(env)
        threads = [threading.Thread(target=start, args=(envs,)) for envs in by_database.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def new_postgres_database(postgres_url: str) -> str:
    name = f"payments_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_url.rsplit('/', 1)[0]}/{name}"


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def writes_held(database_url: str) -> Iterator[Callable[[], int]]:
    """Hold every write to an app's PostgreSQL database back, from this trusted process; yield how
    many of the app's sessions wait for a lock (ours, or one another holds).

    A SHARE lock on each of the database's tables lets reads go on (and SELECT ... FOR UPDATE)
    but makes every INSERT, UPDATE and DELETE wait until the block ends. So requests sent together
    all read before any of them writes, however the machine schedules them: code that reads,
    decides and then writes lets every twin through in every run, while a unique constraint or a
    conditional UPDATE (checked when the write runs) still lets exactly one through.
    """
    url = libpq_url(database_url)
    # The watcher in autocommit: pg_stat_activity is read once per transaction, and we want it fresh.
    with psycopg.connect(url) as lock, psycopg.connect(url, autocommit=True) as activity:
        try:
            lock.execute(f"SET LOCAL lock_timeout = '{WRITES_LOCK_TIMEOUT_S}s'")
            tables = lock.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
                " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchall()
            if tables:
                lock.execute(f"LOCK TABLE {', '.join(name for (name,) in tables)} IN SHARE MODE")
        except psycopg.errors.LockNotAvailable:
            fail(
                f"a transaction of the app kept writing to its tables for {WRITES_LOCK_TIMEOUT_S} s while no request "
                "was in flight: is a session left open (idle in transaction) after a request?"
            )
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        try:
            yield lambda: activity.execute(waiting).fetchone()[0]
        finally:
            lock.rollback()  # the writes go on at once


def postgres_url(sandbox) -> str:
    """The throwaway server's URL (what the postgres_url fixture gives, outside a fixture)."""
    if "postgres" in sandbox.unavailable:
        fail(f"needs PostgreSQL: {sandbox.unavailable['postgres']}")
    return sandbox.service_env["DATABASE_URL"]


@pytest.fixture(scope="session")
def apps(request, shared_app, sandbox, _provider_server, clients) -> Apps:
    shared = Apps(shared_app, sandbox, _provider_server, clients, lambda: postgres_url(sandbox))
    shared.wanted = {
        kind
        for item in request.session.items
        for fixture in getattr(item, "fixturenames", ())
        for kind in NEEDS.get(fixture, ())
    }
    return shared


@pytest.fixture
def payments(apps, clients, provider) -> Payments:
    """The learner's API on SQLite, as a new client."""
    return Payments(lambda: apps.get("sqlite"), clients)


@pytest.fixture(params=["sqlite", "postgres"])
def engine_payments(request, apps, clients, provider) -> Payments:
    """The learner's API on each database in turn (the test runs twice), as a new client."""
    database = (lambda: apps.env("postgres")["DATABASE_URL"]) if request.param == "postgres" else None
    return Payments(lambda: apps.get(request.param), clients, database)


@pytest.fixture
def short_payments(apps, clients, provider) -> Payments:
    """The learner's API with PROVIDER_TIMEOUT_SECONDS=1 and IDEMPOTENCY_LOCK_SECONDS=1.5."""
    return Payments(lambda: apps.get("short"), clients)


@pytest.fixture
def doomed_payments(apps, short_payments) -> Payments:
    """short_payments' client on another process of the same app that dies right after a charge."""
    return short_payments.on(lambda: apps.get("doomed"))


@pytest.fixture
def ttl_payments(apps, clients, provider) -> Payments:
    """The learner's API with IDEMPOTENCY_TTL_SECONDS=2."""
    return Payments(lambda: apps.get("ttl"), clients)


def at_once(functions: list[Callable[[], httpx.Response]]) -> list[Future]:
    """Start the functions in threads, released together by a barrier; their futures, in order."""
    barrier = threading.Barrier(len(functions))
    pool = ThreadPoolExecutor(len(functions))

    def released(function):
        barrier.wait(10)
        return function()

    futures = [pool.submit(released, function) for function in functions]
    pool.shutdown(wait=False)
    return futures


def answers(futures: list[Future], timeout_s: float = 30) -> list[httpx.Response | Exception]:
    results: list = []
    for future in futures:
        try:
            results.append(future.result(timeout_s))
        except Exception as exc:  # a LearnerCrash (a hang, a dead app) is an answer too
            results.append(exc)
    return results


def status_of(answer) -> int | str:
    return answer.status_code if isinstance(answer, httpx.Response) else f"no answer ({answer})"


def retry_until_done(api: Payments, key: str, timeout_s: float = 5) -> httpx.Response:
    """Retry like a good client: while the answer is 409 or 5xx, wait a little and try again."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = api.pay(key)
        if response.status_code not in (409, 500, 502, 503, 504) or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def is_problem(response: httpx.Response, status: int) -> bool:
    if response.status_code != status or not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return (
        isinstance(body, dict)
        and body.get("status") == status
        and all(isinstance(body.get(member), str) for member in ("type", "title", "detail"))
    )


def describe(response: httpx.Response) -> str:
    return f"{response.status_code} {response.headers.get('content-type', '')} {response.text[:200]}"


def charged(charges: list[dict]) -> str:
    """The provider's charges, briefly: how many, and the first."""
    if not charges:
        return "no charge"
    first = charges[0]
    what = f"{first.get('id')}: {first.get('amount_cents')} {first.get('currency')} for {first.get('reference')}"
    return f"1 charge ({what})" if len(charges) == 1 else f"{len(charges)} charges (the first {what})"
