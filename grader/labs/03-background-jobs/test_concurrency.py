"""Part "concurrency": several worker processes on one queue - every job runs, and runs once."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import _sqlite

JOBS = 200
REFERENCE = Path(__file__).with_name("_reference")


def _fail_fast(shop):
    """Call claim() on the empty queue first: missing code fails here, before any process starts."""
    assert shop.call("app.queue:claim", "probe", 30) is None, "claim() on an empty queue should return None"


def test_four_workers_run_200_jobs_each_exactly_once(shop):
    _fail_fast(shop)
    ids = shop.db.add_pings(JOBS)
    for n in range(4):
        shop.worker(f"w{n}", lease=30)  # a long lease: no job may be redelivered here
    shop.wait_done(ids, timeout_s=60)
    runs = shop.db.rows("SELECT job_id, COUNT(*) FROM pings GROUP BY job_id HAVING COUNT(*) > 1")
    assert not runs, (
        f"{len(runs)} job(s) ran more than once with 4 workers (job id, runs): {runs[:5]} - two workers claimed the "
        "same job: pick and lock in one step (FOR UPDATE SKIP LOCKED / BEGIN IMMEDIATE)"
    )
    assert shop.db.scalar("SELECT COUNT(*) FROM pings") == JOBS
    assert shop.db.scalar("SELECT MAX(attempts) FROM jobs") == 1, "no job should have needed a second delivery"
    workers = shop.db.scalar("SELECT COUNT(DISTINCT worker_id) FROM pings")
    assert workers >= 2, f"the 4 workers should share the work, but only {workers} ran jobs"


def test_concurrent_claims_never_hand_out_a_job_twice(shop, start_learner):
    _fail_fast(shop)
    ids = shop.db.add_pings(120)
    libs = [shop.lib] + [start_learner(env=shop.env, timeout_s=60) for _ in range(3)]
    with ThreadPoolExecutor(4) as pool:  # warm up: import everything before the race starts
        list(pool.map(lambda lib: lib.call("app.db:init_db"), libs))

    def drain(n):
        got = []
        while (job := libs[n].call("app.queue:claim", f"c{n}", 30)) is not None:
            got.append(job["id"])
        return got

    with ThreadPoolExecutor(4) as pool:
        claimed = [job_id for batch in pool.map(drain, range(4)) for job_id in batch]
    twice = sorted({i for i in claimed if claimed.count(i) > 1})
    assert not twice, f"concurrent claim() calls handed out the same job more than once: {twice[:10]}"
    assert sorted(claimed) == ids, f"every job should be claimed once: {len(claimed)} claims for {len(ids)} jobs"


def _drain_seconds(database, spawn_workers) -> float:
    """Seconds from starting 4 workers until the 200 jobs are done (imports included: same for both)."""
    started = time.monotonic()
    workers = spawn_workers()
    deadline = started + 60
    while database.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'done'") < JOBS:
        if time.monotonic() > deadline or not all(alive() for alive in workers):
            return float("inf")
        time.sleep(0.05)
    return time.monotonic() - started


def _reference_seconds(sandbox) -> float:
    """The model solution's workers, run as trusted processes on their own SQLite file."""
    database = _sqlite(sandbox)
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": database.url, "PYTHONPATH": str(REFERENCE)}
    subprocess.run([sys.executable, "-c", "from app.db import init_db; init_db()"], env=env, check=True, timeout=60)
    database.add_pings(JOBS)
    processes = []

    def spawn():
        for n in range(4):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "app.worker", "--worker-id", f"r{n}", "--lease", "30", "--poll", "0.05"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return [lambda p=p: p.poll() is None for p in processes]

    try:
        return _drain_seconds(database, spawn)
    finally:
        for process in processes:
            process.kill()
            process.wait()


def test_throughput_of_four_workers_is_close_to_the_reference(sqlite_shop, sandbox):
    shop = sqlite_shop
    _fail_fast(shop)
    shop.db.add_pings(JOBS)

    def spawn():
        return [lambda w=shop.worker(f"w{n}", lease=30, poll=0.05): w.alive for n in range(4)]

    took = _drain_seconds(shop.db, spawn)
    assert took < float("inf"), f"your workers died or did not finish {JOBS} jobs; job statuses: {dict(shop.db.statuses())}"
    reference = _reference_seconds(sandbox)  # measured now, on this machine, under the same load
    assert reference < float("inf"), "the reference workers failed (a grader problem, not yours)"
    allowed = 4 * reference + 5  # generous: the machine's load changes between the two runs
    assert took <= allowed, (
        f"4 workers took {took:.2f} s to start and run {JOBS} quick jobs; the reference took {reference:.2f} s on this "
        f"machine (allowed: {allowed:.1f} s). Does a worker sleep after every job, or hold a lock while a handler runs?"
    )
