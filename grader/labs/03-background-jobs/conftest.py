"""Lab 03's fixtures: a fresh database per test (SQLite or PostgreSQL), a real SMTP server,
the learner's queue in a child process, and worker processes.

Everything here is trusted code: it inspects the database with its own connections and never
imports the learner's modules.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller


class Database:
    """A throwaway database: `url` for the learner, `rows()`/`scalar()` for the tests."""

    def __init__(self, kind: str, url: str, path: str | None = None, admin_url: str | None = None, name: str = ""):
        self.kind, self.url, self.path, self.admin_url, self.name = kind, url, path, admin_url, name

    def rows(self, sql: str) -> list[tuple]:
        if self.kind == "sqlite":
            # read-only, a short-lived connection: never hold a lock the workers wait for
            for attempt in range(50):
                try:
                    with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30) as conn:
                        return conn.execute(sql).fetchall()
                except sqlite3.OperationalError as exc:  # e.g. a killed writer's journal not rolled back yet
                    if attempt == 49 or "no such table" in str(exc):
                        raise
                    time.sleep(0.1)
        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    def add_pings(self, n: int) -> list[int]:
        """Insert n due ping jobs with the grader's own connection (quicker than n calls of submit())."""
        now = time.time()
        rows = [("ping", json.dumps({"n": i}), "queued", 0, 5, now, now) for i in range(n)]
        insert = "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at) VALUES "
        if self.kind == "sqlite":
            with sqlite3.connect(self.path, timeout=30) as conn:
                conn.executemany(insert + "(?, ?, ?, ?, ?, ?, ?)", rows)
        else:
            with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
                conn.cursor().executemany(insert + "(%s, %s, %s, %s, %s, %s, %s)", rows)
        return [r[0] for r in self.rows("SELECT id FROM jobs WHERE kind = 'ping' ORDER BY id")]

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]

    def job(self, job_id: int) -> dict:
        columns = ["id", "kind", "payload", "status", "attempts", "max_attempts", "run_at", "locked_by",
                   "locked_until", "last_error"]
        row = self.rows(f"SELECT {', '.join(columns)} FROM jobs WHERE id = {int(job_id)}")
        assert row, f"job {job_id} is not in the jobs table"
        job = dict(zip(columns, row[0]))
        if isinstance(job["payload"], str):
            job["payload"] = json.loads(job["payload"])
        return job

    def statuses(self) -> Counter:
        return Counter(dict(self.rows("SELECT status, COUNT(*) FROM jobs GROUP BY status")))


def _sqlite(sandbox) -> Database:
    path = Path(sandbox.scratch_dir) / f"lab03-{uuid.uuid4().hex[:12]}.db"
    # Created here, readable and writable by all: in the container the grader's root has no
    # DAC override, so it could not read a file the learner's user made (their umask is 077).
    # SQLite gives its journal files the database file's permissions.
    path.touch()
    path.chmod(0o666)
    path = str(path)
    return Database("sqlite", f"sqlite:///{path}", path=path)


def _postgres(postgres_url: str):
    admin_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"lab03_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base = postgres_url.rsplit("/", 1)[0]
    return Database("postgres", f"{base}/{name}", admin_url=admin_url, name=name)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, sandbox):
    """A fresh database of each kind: the test runs once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield _sqlite(sandbox)
        return
    database = _postgres(request.getfixturevalue("postgres_url"))
    yield database
    with psycopg.connect(database.admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)")


@pytest.fixture
def sqlite_db(sandbox):
    return _sqlite(sandbox)


class MailServer:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts.

    `stall_first=True`: the first session hangs after RCPT TO (the test kills the worker while
    it waits); `stalled` is set when that happens.
    """

    def __init__(self):
        self.messages: list[dict] = []
        self.stall_first = False
        self.stalled = threading.Event()
        self._lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        if self.stall_first and not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(60)  # the client is killed meanwhile: this message never completes
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        headers = {}
        for line in text.split("\r\n\r\n", 1)[0].replace("\r\n", "\n").split("\n"):
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        with self._lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "headers": headers, "text": text})
        return "250 Message accepted"

    def for_order(self, order_id: int) -> list[dict]:
        with self._lock:
            return [m for m in self.messages if m["headers"].get("x-order-id") == str(order_id)]

    @property
    def env(self) -> dict[str, str]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port)}


@pytest.fixture
def smtp():
    server = MailServer()
    server.controller.start()
    yield server
    server.controller.stop(no_assert=True)


class Shop:
    """The learner's queue against one database: `call()` into their code, `worker()` processes."""

    def __init__(self, db: Database, smtp: MailServer, start_learner, spawn_module):
        self.db, self.smtp = db, smtp
        self.env = {"DATABASE_URL": db.url, **smtp.env}
        self._spawn = spawn_module
        self.lib = start_learner(env=self.env, timeout_s=30)
        self.workers = []
        self.call("app.db:init_db")

    def call(self, target: str, *args, **kwargs):
        return self.lib.call(target, *args, **kwargs)

    def submit(self, kind: str, payload: dict, **kwargs) -> int:
        return self.call("app.queue:submit", kind, payload, **kwargs)

    def worker(self, worker_id: str, lease: float = 10, poll: float = 0.05, base: float = 0.05, cap: float = 0.5):
        process = self._spawn(
            "app.worker", "--worker-id", worker_id, "--lease", str(lease), "--poll", str(poll),
            "--backoff-base", str(base), "--backoff-cap", str(cap), env=self.env,
        )
        process.worker_id = worker_id
        self.workers.append(process)
        return process

    def wait_until(self, condition, timeout_s: float, what: str, allow_exit: tuple = ()):
        """Poll `condition()` until true; fail at once if a worker dies (not after the timeout)."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = condition()
            if value:
                return value
            for process in self.workers:
                if process not in allow_exit and not process.alive:
                    pytest.fail(f"worker {process.worker_id} exited (status {process.process.returncode}) "
                                f"while waiting for {what}; its last output:\n{process.log_tail()[-1500:]}",
                                pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}; job statuses: "
                            f"{dict(self.db.statuses())}", pytrace=False)
            time.sleep(0.05)

    def wait_done(self, job_ids, timeout_s: float = 20):
        ids = ", ".join(str(int(i)) for i in job_ids)
        self.wait_until(lambda: self.db.scalar(f"SELECT COUNT(*) FROM jobs WHERE id IN ({ids}) AND status = 'done'")
                        == len(job_ids), timeout_s, f"{len(job_ids)} job(s) to be done")


@pytest.fixture
def shop(db, smtp, start_learner, spawn_module) -> Shop:
    return Shop(db, smtp, start_learner, spawn_module)


@pytest.fixture
def sqlite_shop(sqlite_db, smtp, start_learner, spawn_module) -> Shop:
    return Shop(sqlite_db, smtp, start_learner, spawn_module)
