"""Lab 03's fixtures: one SQLite and one PostgreSQL database for the whole run (emptied before
each test), a real SMTP server, the learner's queue in long-lived child processes, and worker
processes per test.

Everything here is trusted code: it reads and sets up the database with its own connections
and never imports the learner's modules. Tests set up the rows they need directly (a job
already running, a lease already expired), so each test depends on the one function it checks.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller

from grader.testing import LearnerCrash, LearnerError, LearnerLib, LearnerProcess, fail, free_port

CALL_TIMEOUT_S = 15  # one call of a queue function (they take milliseconds); a cold start gets 60 s
# The given db.py sleeps this long after every SELECT that reads jobs: a claim that reads, then
# writes in another step hands out a job twice in every run; an atomic one is only slower.
RACE_ENV = {"JOBS_SELECT_DELAY_S": "0.03"}
# A wait that includes starting worker processes: seconds on a quiet machine, but a worker (nice 10)
# can take ten times longer to import its modules on a busy one. A wrong submission pays it once.
WORKER_START_S = 60
TABLES = ("pings", "sent_mails", "jobs", "orders")  # children first
JOB_COLUMNS = (
    "id",
    "kind",
    "payload",
    "status",
    "attempts",
    "max_attempts",
    "run_at",
    "locked_by",
    "locked_until",
    "last_error",
    "created_at",
    "finished_at",
)


def learner_call(lib: LearnerLib, target: str, *args, timeout_s: float = CALL_TIMEOUT_S, **kwargs):
    """`lib.call(...)`, but the scaffold's NotImplementedError or a crash fails the test at once,
    naming the learner's function that raised (not a given one that called it, like submit)."""
    try:
        return lib.call(target, *args, timeout_s=timeout_s, **kwargs)
    except LearnerError as exc:
        if exc.type == "NotImplementedError":
            frames = re.findall(r'File "[^"]*/app/(\w+)\.py", line \d+, in (\w+)', exc.traceback)
            where = f"app.{frames[-1][0]}.{frames[-1][1]}()" if frames else target
            fail(f"{where} is not implemented yet: {exc.message}")
        raise
    except LearnerCrash as exc:
        fail(str(exc))


class ShopDb:
    """A database the suite owns: `url` for the learner, trusted reads and writes for the tests."""

    def __init__(self, kind: str, url: str, path: str | None = None):
        self.kind, self.url, self.path = kind, url, path
        self._pg: psycopg.Connection | None = None

    def _conn(self):
        if self.kind == "sqlite":
            # short-lived: never hold a lock the learner's processes wait for
            return sqlite3.connect(self.path, timeout=10, isolation_level=None)
        if self._pg is None or self._pg.closed:
            self._pg = psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        return self._pg

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.kind == "sqlite":
            conn = self._conn()
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        cursor = self._conn().execute(sql.replace("?", "%s"), params)
        return cursor.fetchall() if cursor.description else []

    def scalar(self, sql: str, params: tuple = ()):
        return self.execute(sql, params)[0][0]

    def reset(self) -> None:
        """Empty every table: each test starts from nothing."""
        if self.kind == "sqlite":
            conn = self._conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                for table in TABLES:
                    conn.execute(f"DELETE FROM {table}")
                conn.execute("COMMIT")
            finally:
                conn.close()
            return
        conn = self._conn()
        conn.execute("SET lock_timeout = '2s'")
        try:
            conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        except psycopg.errors.LockNotAvailable:  # a learner connection left a transaction open
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")

    def insert_job(self, kind: str = "ping", payload: dict | None = None, **columns) -> int:
        """A job row as the queue would hold it; defaults: queued, due now, 0 of 5 attempts."""
        now = time.time()
        row = {"status": "queued", "attempts": 0, "max_attempts": 5, "run_at": now, "created_at": now, **columns}
        row.update(kind=kind, payload=json.dumps(payload or {}))
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        return self.scalar(f"INSERT INTO jobs ({names}) VALUES ({marks}) RETURNING id", tuple(row.values()))

    def insert_jobs(self, count: int, kind: str = "ping", payload: dict | None = None, **columns) -> list[int]:
        return [self.insert_job(kind, {**(payload or {}), "n": n}, **columns) for n in range(count)]

    def insert_order(self, email: str, total_cents: int = 1497) -> int:
        return self.scalar(
            "INSERT INTO orders (email, total_cents, created_at) VALUES (?, ?, ?) RETURNING id",
            (email, total_cents, time.time()),
        )

    def job(self, job_id: int) -> dict:
        rows = self.execute(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs WHERE id = ?", (int(job_id),))
        if not rows:
            fail(f"job {job_id} is no longer in the jobs table (a job is never deleted)")
        job = dict(zip(JOB_COLUMNS, rows[0]))
        if isinstance(job["payload"], str):
            job["payload"] = json.loads(job["payload"])
        return job

    def statuses(self) -> dict[str, int]:
        return dict(Counter(dict(self.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status"))))

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()


def _sqlite(sandbox) -> ShopDb:
    path = Path(sandbox.scratch_dir) / f"lab03-{uuid.uuid4().hex[:12]}.db"
    # Created here, readable and writable by all: in the container the grader's root has no
    # DAC override, so it could not read a file the learner's user made (their umask is 077).
    # SQLite gives its journal files the database file's permissions.
    path.touch()
    path.chmod(0o666)
    return ShopDb("sqlite", f"sqlite:///{path}", path=str(path))


def _postgres(postgres_url: str) -> ShopDb:
    admin_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"lab03_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return ShopDb("postgres", f"{postgres_url.rsplit('/', 1)[0]}/{name}")


class MailServer:
    """A real SMTP server on 127.0.0.1 that keeps the messages it accepts.

    It is plain SMTP: no control endpoint, nothing a submission could steer. What it answers
    follows from the recipient's domain, as at a real provider: `@bounce.example` is refused for
    good (550), `@greylist.example` once for now (451) and accepted on the next try. It stores at
    most MAX_MESSAGES of at most 64 KiB each, so a runaway submission cannot fill the grader's memory.
    """

    MAX_MESSAGES = 500

    def __init__(self):
        self.messages: list[dict] = []
        self._greylisted: set[str] = set()
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, data_size_limit=65536, timeout=30)

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self._greylisted.clear()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2].lower()
        if domain == "bounce.example":
            return "550 5.1.1 no such mailbox"
        if domain == "greylist.example" and address not in self._greylisted:
            self._greylisted.add(address)
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        headers: dict[str, str] = {}
        for line in text.split("\r\n\r\n", 1)[0].replace("\r\n", "\n").split("\n"):
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        with self._lock:
            if len(self.messages) < self.MAX_MESSAGES:
                self.messages.append({"to": list(envelope.rcpt_tos), "headers": headers})
        return "250 Message accepted"

    def for_order(self, order_id: int) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if m["headers"].get("x-order-id") == str(order_id)]

    @property
    def env(self) -> dict[str, str]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port), "SMTP_TIMEOUT_S": "10"}


@pytest.fixture(scope="session")
def smtp():
    server = MailServer()
    server.controller.start()
    yield server
    server.controller.stop(no_assert=True)


class Shop:
    """The learner's queue on one database: `call()` into their code, `worker()` processes.

    The database and the learner's processes live for the whole run; `begin()` empties the
    tables before each test and `end()` stops the test's workers.
    """

    def __init__(self, sandbox, db: ShopDb, smtp: MailServer, shared_learner):
        self.sandbox, self.db, self.smtp = sandbox, db, smtp
        self.env = {"DATABASE_URL": db.url, **smtp.env}
        self._shared_learner = shared_learner
        self.lib = shared_learner(env=self.env)
        self.libs = [self.lib]
        self.workers: list[LearnerProcess] = []
        self._racers: list[LearnerLib] = []
        self._initialised = False

    def begin(self) -> Shop:
        if not self._initialised:
            learner_call(self.lib, "app.db:init_db", timeout_s=60)  # the given init_db: the tables of app/models.py
            self._initialised = True
        self.db.reset()
        self.smtp.reset()
        return self

    def end(self) -> None:
        for process in self.workers:
            process.stop()
        self.workers.clear()

    def stop_learners(self) -> None:
        """Stop this shop's learner processes (the next call starts them again)."""
        for lib in self.libs:
            lib.stop()

    def call(self, target: str, *args, **kwargs):
        """Call the learner's function; NotImplementedError or a crash fails the test in one line."""
        return learner_call(self.lib, target, *args, **kwargs)

    def raises(self, target: str, *args, **kwargs) -> LearnerError | None:
        """The learner's exception from the call, or None if it returned."""
        try:
            self.call(target, *args, **kwargs)
        except LearnerError as exc:
            return exc
        return None

    def racers(self, count: int) -> list[LearnerLib]:
        """`count` learner processes with the given db.py's race hook on (RACE_ENV), kept for the run,
        each started and warmed up (the learner's modules imported) in parallel."""
        while len(self._racers) < count:
            env = {**self.env, **RACE_ENV, "RACER": str(len(self._racers))}  # one process per racer
            self._racers.append(self._shared_learner(env=env))
            self.libs.append(self._racers[-1])
        racers = self._racers[:count]
        with ThreadPoolExecutor(count) as pool:  # a cold start imports SQLAlchemy: allow it time
            list(pool.map(lambda lib: learner_call(lib, "app.db:init_db", timeout_s=60), racers))
        return racers

    def needs(self, target: str, *args) -> None:
        """Fail at once if `target` is still the scaffold's TODO (before starting any worker)."""
        try:
            self.call(target, *args)
        except LearnerError:
            pass  # implemented, but raised: the test itself will say what is wrong

    def worker(
        self,
        worker_id: str,
        *,
        lease: float = 30,
        poll: float = 0.05,
        base: float = 0.01,
        cap: float = 0.05,
        env: dict[str, str] | None = None,
    ) -> LearnerProcess:
        args = ["--worker-id", worker_id, "--lease", str(lease), "--poll", str(poll)]
        args += ["--backoff-base", str(base), "--backoff-cap", str(cap)]
        process = LearnerProcess(self.sandbox, "app.worker", *args, env={**self.env, **(env or {})})
        process.worker_id = worker_id
        self.workers.append(process)
        return process

    def gate(self) -> Path:
        """A file path for `ping` jobs with {"gate": path}: they run until the test creates it."""
        return Path(self.sandbox.scratch_dir) / f"gate-{uuid.uuid4().hex[:12]}"

    def wait_until(self, condition, timeout_s: float, what: str, allow_exit: tuple = ()):
        """Poll `condition()` until it is true; fail at once if a worker dies, or after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = condition()
            if value:
                return value
            for process in self.workers:
                if process not in allow_exit and not process.alive:
                    fail(
                        f"worker {process.worker_id} exited (status {process.process.returncode}) while waiting for "
                        f"{what}; its last output:\n{process.log_tail()[-1500:]}"
                    )
            if time.monotonic() > deadline:
                fail(f"waited {timeout_s:g} s for {what}; job statuses now: {self.db.statuses()}")
            time.sleep(0.02)

    def wait_done(self, job_ids, timeout_s: float = WORKER_START_S, what: str = "", allow_exit: tuple = ()) -> None:
        ids = ", ".join(str(int(i)) for i in job_ids)
        query = f"SELECT COUNT(*) FROM jobs WHERE id IN ({ids}) AND status = 'done'"
        what = what or f"{len(job_ids)} job(s) to be done"
        self.wait_until(lambda: self.db.scalar(query) == len(job_ids), timeout_s, what, allow_exit)

    def pings(self, job_id: int) -> list[str]:
        """Which workers ran the ping job `job_id` to its end, in order."""
        return [r[0] for r in self.db.execute("SELECT worker_id FROM pings WHERE job_id = ? ORDER BY id", (job_id,))]


@pytest.fixture(scope="session")
def _shops(sandbox, smtp):
    shops: dict[str, Shop] = {}
    yield shops
    for shop in shops.values():
        shop.end()
        shop.db.close()


def _shop(request, kind: str) -> Shop:
    shops = request.getfixturevalue("_shops")
    if kind not in shops:
        sandbox, smtp = request.getfixturevalue("sandbox"), request.getfixturevalue("smtp")
        db = _sqlite(sandbox) if kind == "sqlite" else _postgres(request.getfixturevalue("postgres_url"))
        shops[kind] = Shop(sandbox, db, smtp, request.getfixturevalue("shared_learner"))
    return shops[kind]


@pytest.fixture(params=["sqlite", "postgres"])
def shop(request):
    """The learner's queue on each database in turn: the test runs on SQLite, then on PostgreSQL."""
    current = _shop(request, request.param)
    yield current.begin()
    current.end()


@pytest.fixture
def sqlite_shop(request):
    current = _shop(request, "sqlite")
    yield current.begin()
    current.end()


@pytest.fixture
def postgres_shop(request):
    current = _shop(request, "postgres")
    yield current.begin()
    current.end()


@pytest.fixture
def all_shops(request):
    """Every learner process the run has started, to stop them (the throughput reference runs alone)."""
    return request.getfixturevalue("_shops")
