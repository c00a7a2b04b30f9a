"""Public tests for Lab 03: the basics, in seconds. Run them with `make test LAB=03-background-jobs`.

The graded (hidden) suite asks much more: workers racing on SQLite and PostgreSQL, workers killed
with SIGKILL mid-job, SIGTERM and SIGINT, fencing, retries, dead letters, a real SMTP server.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from app import queue
from app.db import get_engine, init_db
from app.handlers import send_order_confirmation
from app.orders import place_order

LAB_DIR = Path(__file__).parents[1]


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A fresh SQLite file per test."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_engine.cache_clear()
    init_db()
    yield url
    get_engine.cache_clear()


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch):
    handler = Inbox()
    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    yield handler
    controller.stop()


def test_a_submitted_job_can_be_claimed_once(database):
    job_id = queue.submit("ping", {"seconds": 0})
    job = queue.claim("w1", lease_s=30)
    assert job is not None and job["id"] == job_id, f"claim() should return the job just submitted, got {job!r}"
    assert job["payload"] == {"seconds": 0} and job["attempts"] == 1, f"claim() returns payload and attempts: {job!r}"
    assert queue.claim("w2", lease_s=30) is None, "a job under a live lease must not be claimed by a second worker"


def test_ack_finishes_the_job(database):
    job_id = queue.submit("ping", {})
    job = queue.claim("w1", lease_s=30)
    assert queue.ack(job_id, job["attempts"]) is True, "ack() by the current attempt returns True (README, R10)"
    assert queue.claim("w1", lease_s=30) is None, "a done job is never claimed again"


def test_a_stale_attempt_cannot_ack(database):
    job_id = queue.submit("ping", {})
    first = queue.claim("w1", lease_s=0.01)
    time.sleep(0.05)  # the lease ran out: the same worker id claims the job again, as attempt 2
    second = queue.claim("w1", lease_s=30)
    assert (first["attempts"], second["attempts"]) == (1, 2), "each claim is the next attempt (README, R4-R5)"
    assert queue.ack(job_id, 1) is False, "attempt 1 lost the job: the attempt number is the fencing token (README, R8)"
    assert queue.ack(job_id, 2) is True


def test_backoff_is_capped_and_jittered():
    delays = [queue.backoff_delay(3, base_s=1.0, cap_s=5.0) for _ in range(100)]
    assert all(0 <= d <= 5.0 for d in delays), "attempt 3, base 1 s: the window is min(5, 1 * 2**3) = 5 s"
    assert len(set(delays)) > 50, "full jitter: the delays should be spread over the window, not all equal"


def test_a_failed_order_leaves_no_job(database):
    with pytest.raises(RuntimeError):
        place_order("dora@duckshop.example", 1497, fail_after_enqueue=True)
    assert queue.claim("w1", lease_s=30) is None, (
        "the order was rolled back but its job survived: enqueue inside the order's transaction (README, R16)"
    )


def test_the_confirmation_is_sent_once(database, inbox):
    order_id = place_order("dora@duckshop.example", 1497)
    job = queue.claim("w1", lease_s=30)
    assert job["kind"] == "send_order_confirmation" and job["payload"] == {"order_id": order_id}
    send_order_confirmation(job)
    send_order_confirmation(job)  # delivered twice: at-least-once
    assert len(inbox.messages) == 1, f"two runs of the handler sent {len(inbox.messages)} mails, expected exactly 1"
    assert f"#{order_id}" in inbox.messages[0], "the subject names the order number"


def test_the_worker_runs_a_job_and_stops_on_sigterm(database, tmp_path):
    job_id = queue.submit("ping", {"seconds": 0.5})
    env = {**os.environ, "PYTHONPATH": str(LAB_DIR)}
    worker = subprocess.Popen([sys.executable, "-m", "app.worker", "--poll", "0.1"], env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 20
        while _status(job_id) != "done":
            assert worker.poll() is None, "the worker exited: run `python -m app.worker` and read its error"
            assert time.monotonic() < deadline, "the worker did not finish the job within 20 s"
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0, "on SIGTERM the worker exits with status 0"
    finally:
        worker.kill()
        worker.wait()


def _status(job_id):
    from app.models import Job
    from sqlalchemy import select

    with get_engine().connect() as conn:
        return conn.scalar(select(Job.status).where(Job.id == job_id))
