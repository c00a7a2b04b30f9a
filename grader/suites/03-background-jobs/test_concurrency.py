"""Part "concurrency": many processes on one queue - every job runs, and runs once.

The race tests turn on the given db.py's race hook (conftest.RACE_ENV): a short pause between
reading a job and whatever the process does next. A claim whose pick and mark are not one atomic
step then hands out a job twice in every run; an atomic claim is only slower.
"""

import importlib.util
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import RACE_ENV, WORKER_START_S, _sqlite, learner_call
from sqlalchemy import create_engine

from grader.testing import LearnerCrash, LearnerError, TimeBudget, fail, stop_learner_code

JOBS = 40
WORKERS = 2  # for the throughput test
REFERENCE = Path(__file__).with_name("_reference")


def test_concurrent_claims_never_hand_out_a_job_twice(shop):
    shop.needs("app.queue:claim", "probe", 30)
    racers = shop.racers(2)
    ids = shop.db.insert_jobs(JOBS)
    start = threading.Barrier(2, timeout=30)
    limit = JOBS + 5

    def drain(n: int) -> list[int]:
        start.wait()
        got = []
        while len(got) < limit and (job := learner_call(racers[n], "app.queue:claim", f"c{n}", 30)) is not None:
            got.append(job["id"])
        return got

    with ThreadPoolExecutor(2) as pool:
        batches = list(pool.map(drain, range(2)))
    claimed = [job_id for batch in batches for job_id in batch]
    owners: dict[int, list[str]] = {}
    for n, batch in enumerate(batches):
        for job_id in batch:
            owners.setdefault(job_id, []).append(f"c{n}")
    twice = {job_id: who for job_id, who in owners.items() if len(who) > 1}
    if twice:
        example = ", ".join(f"job {job_id} to {' and '.join(who)}" for job_id, who in list(twice.items())[:3])
        fail(
            f"2 processes calling claim() at once got {len(claimed)} claims for {JOBS} jobs ({example}...): "
            "pick the job and mark it in one atomic step"
        )
    assert sorted(claimed) == ids, (
        f"every job should be claimed exactly once: {len(set(claimed))} of {JOBS} jobs were claimed"
    )


def test_four_workers_run_every_job_exactly_once(postgres_shop):
    """On PostgreSQL, where workers really claim in parallel (SQLite's one writer is raced above)."""
    shop = postgres_shop
    shop.needs("app.queue:claim", "probe", 30)
    gate = shop.gate()
    now = time.time()
    # Four gate jobs first: each worker takes one and waits, so all four are in their loops
    # when the gate opens - then they race for the 40 jobs behind, in every run.
    gates = shop.db.insert_jobs(4, "ping", {"gate": str(gate)}, run_at=now - 1)
    ids = shop.db.insert_jobs(JOBS, "ping", {}, run_at=now)
    for n in range(4):
        shop.worker(f"w{n}", lease=30, env=RACE_ENV)
    gate_ids = ", ".join(map(str, gates))

    def ready() -> bool:
        twice = shop.db.execute("SELECT id, attempts FROM jobs WHERE attempts > 1")
        if twice:
            fail(f"two workers claimed the same job under a 30 s lease (job id, attempts): {twice[:5]}")
        return shop.db.scalar(f"SELECT COUNT(*) FROM jobs WHERE id IN ({gate_ids}) AND status = 'running'") == 4

    shop.wait_until(ready, WORKER_START_S, "each of the 4 workers to claim one of the 4 first jobs")
    gate.touch()

    def finished() -> bool:
        if shop.db.scalar("SELECT COUNT(*) FROM (SELECT job_id FROM pings GROUP BY job_id HAVING COUNT(*) > 1) t"):
            return True
        return shop.db.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == JOBS + 4

    shop.wait_until(finished, WORKER_START_S, f"the 4 workers to run all {JOBS + 4} jobs")
    runs = shop.db.execute("SELECT job_id, COUNT(*) FROM pings GROUP BY job_id HAVING COUNT(*) > 1")
    assert not runs, (
        f"{len(runs)} job(s) ran more than once with 4 workers (job id, runs): {runs[:5]} - two workers claimed the "
        "same job: pick and mark in one atomic step"
    )
    attempts = shop.db.scalar("SELECT MAX(attempts) FROM jobs")
    assert attempts == 1, f"no job should have been claimed twice under a 30 s lease; the most attempts: {attempts}"
    ran = shop.db.scalar(f"SELECT COUNT(DISTINCT job_id) FROM pings WHERE job_id IN ({', '.join(map(str, ids))})")
    assert ran == JOBS, f"every job should have run once; {ran} of {JOBS} did"


def test_a_running_job_does_not_block_the_queue(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    gate = shop.gate()
    long_job = shop.db.insert_job("ping", {"gate": str(gate)})
    shop.worker("w1")
    shop.wait_until(lambda: shop.db.job(long_job)["status"] == "running", WORKER_START_S, "w1 to claim the long job")
    quick = shop.db.insert_job("ping", {})
    try:
        job = shop.lib.call("app.queue:claim", "w2", 30, timeout_s=10)
    except (LearnerCrash, LearnerError) as exc:
        fail(
            f"while w1 ran a long job, claim() in another process failed ({exc}): on SQLite a transaction that a "
            "worker keeps open while its handler runs holds the database's only write lock, and everyone waits"
        )
    assert (job or {}).get("id") == quick, f"while w1 ran a long job, claim('w2') should get job {quick}, got {job!r}"
    gate.touch()
    shop.wait_done([long_job], what="the long job to finish once its gate opened")


def _drain_seconds(database, workers, jobs: int, deadline_s: float) -> float:
    """Seconds until `jobs` jobs are done; inf if a worker dies or the deadline passes."""
    started = time.monotonic()
    while database.scalar("SELECT COUNT(*) FROM jobs WHERE status = 'done'") < jobs:
        if time.monotonic() - started > deadline_s or not all(alive() for alive in workers):
            return float("inf")
        time.sleep(0.02)
    return time.monotonic() - started


def _reference_tables(url: str) -> None:
    """The tables, from the reference's own models.py (trusted code, loaded here as a plain module)."""
    spec = importlib.util.spec_from_file_location("lab03_reference_models", REFERENCE / "app" / "models.py")
    models = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    if not hasattr(models, "Base"):
        spec.loader.exec_module(models)  # SQLAlchemy resolves its annotations through sys.modules
    engine = create_engine(url)
    models.Base.metadata.create_all(engine)
    engine.dispose()


def _reference_seconds(sandbox, jobs: int, poll: float) -> float:
    """The model solution's WORKERS workers, as trusted processes on a database the suite made alone."""
    database = _sqlite(sandbox)
    _reference_tables(database.url)
    env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": database.url, "PYTHONPATH": str(REFERENCE)}
    database.insert_jobs(jobs)
    # At the learner's priority (the grader starts learner code with nice 10): on a busy machine a
    # reference at normal priority would get several times the CPU the learner's workers get.
    command = ["nice", "-n", "10", sys.executable, "-m", "app.worker", "--lease", "30", "--poll", str(poll)]
    processes = [
        subprocess.Popen(
            [*command, "--worker-id", f"r{n}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        for n in range(WORKERS)
    ]
    try:
        return _drain_seconds(database, [lambda p=p: p.poll() is None for p in processes], jobs, 60)
    finally:
        for process in processes:
            process.kill()
            process.wait()


def test_throughput_of_two_workers_is_close_to_the_reference(sqlite_shop, sandbox, all_shops):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    poll = 5  # a worker that waits --poll after every job takes 100 s here; the reference about a second
    for other in all_shops.values():  # no learner process runs while the reference is measured
        other.stop_learners()
    stop_learner_code(sandbox)  # nor one that left its session (a daemon)
    reference = _reference_seconds(sandbox, JOBS, poll)
    if reference == float("inf"):
        fail("the reference workers failed (a grader problem, not yours)")
    budget = TimeBudget(reference, factor=4, slack_s=3)  # start-up included; the load may change meanwhile
    shop.db.insert_jobs(JOBS)
    workers = [shop.worker(f"w{n}", poll=poll) for n in range(WORKERS)]
    took = _drain_seconds(shop.db, [lambda w=w: w.alive for w in workers], JOBS, budget.timeout_s)
    if took == float("inf"):
        fail(
            f"{WORKERS} workers (--poll {poll}) did not run {JOBS} quick jobs within {budget.timeout_s:.1f} s, or one "
            f"died; the reference took {reference:.1f} s on this machine just before. Job statuses: {shop.db.statuses()}"
        )
    budget.check(
        took,
        what=f"{WORKERS} workers (--poll {poll}) starting and running {JOBS} quick jobs",
        hint="does a worker wait --poll after every job instead of only when claim() found nothing?",
    )
