"""Part "queue": enqueue, claim with a lease, acknowledge, stats, and a worker's first job."""

import time

import pytest

from grader.testing import fail

PAYLOAD = {"seconds": 0, "note": "Entenhausen ü 🦆", "items": [1, 2]}


def test_submit_creates_a_queued_job(sqlite_shop):
    shop = sqlite_shop
    before = time.time()
    job_id = shop.call("app.queue:submit", "ping", PAYLOAD, delay_s=2, max_attempts=3)
    after = time.time()
    if not isinstance(job_id, int):
        fail(f"enqueue() should return the new job's id (an int), got {job_id!r}")
    row = shop.db.job(job_id)
    got = {k: row[k] for k in ("kind", "payload", "status", "attempts", "max_attempts")}
    expected = {"kind": "ping", "payload": PAYLOAD, "status": "queued", "attempts": 0, "max_attempts": 3}
    assert got == expected, f"enqueue() wrote {got}, expected {expected}"
    assert before + 2 <= row["run_at"] <= after + 2, (
        f"enqueue(delay_s=2) should set run_at = now + 2 (Unix seconds); got now + {row['run_at'] - after:.2f}"
    )
    assert before <= (row["created_at"] or 0) <= after, f"created_at should be now, got {row['created_at']}"
    before = time.time()
    late = shop.db.job(shop.call("app.queue:submit", "ping", {}, delay_s=-60))
    after = time.time()
    assert before <= late["run_at"] <= after, (
        f"a negative delay_s counts as 0: run_at should be now, got now {late['run_at'] - after:+.2f} s"
    )


def test_max_attempts_below_one_is_a_value_error(sqlite_shop):
    shop = sqlite_shop
    error = shop.raises("app.queue:submit", "ping", {}, max_attempts=0)
    assert error is not None and error.type == "ValueError", (
        f"enqueue(max_attempts=0) should raise ValueError, got {error.type if error else 'a job id'}"
    )
    count = shop.db.scalar("SELECT COUNT(*) FROM jobs")
    assert count == 0, f"enqueue() raised but wrote {count} job(s): check before inserting"
    error = shop.raises("app.queue:submit", "ping", {}, max_attempts=1)
    assert error is None, (
        f"max_attempts=1 (one run, no retry) is allowed - only values below 1 are a ValueError; "
        f"enqueue(max_attempts=1) failed: {error}"
    )


def test_a_due_job_is_claimed_with_its_payload(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.db.insert_job("ping", PAYLOAD, max_attempts=4, run_at=time.time() - 1)
    before = time.time()
    job = shop.call("app.queue:claim", "w1", 30)
    after = time.time()
    expected = {"id": job_id, "kind": "ping", "payload": PAYLOAD, "attempts": 1, "max_attempts": 4, "worker_id": "w1"}
    assert job == expected, f"claim('w1', 30) returned {job!r}, expected {expected}"
    row = shop.db.job(job_id)
    got = (row["status"], row["locked_by"], row["attempts"])
    assert got == ("running", "w1", 1), (
        f"the claimed job's (status, locked_by, attempts) are {got}, expected (running, w1, 1)"
    )
    assert before + 30 <= (row["locked_until"] or 0) <= after + 30, (
        f"locked_until should be now + lease_s = now + 30 (Unix seconds), got {row['locked_until']}"
    )


@pytest.mark.parametrize("setup", ["empty", "nothing due"])
def test_claim_returns_none_when_nothing_is_due(shop, setup):
    now = time.time()
    if setup == "nothing due":
        # An ack or a fail may leave the last lease's locked_until behind (R10, R12, R13 don't clear it):
        # only a running job's lease can expire.
        stale = now - 30
        shop.db.insert_job(run_at=now + 60, attempts=1, locked_until=stale)  # a retry, not due yet
        shop.db.insert_job(status="running", attempts=1, locked_by="w0", locked_until=now + 60)  # a live lease
        shop.db.insert_job(status="done", attempts=1, run_at=now - 60, locked_until=stale)
        shop.db.insert_job(status="dead", attempts=5, run_at=now - 60, locked_until=stale)
    before = shop.db.execute("SELECT id, status, attempts, locked_by FROM jobs ORDER BY id")
    job = shop.call("app.queue:claim", "w1", 30)
    assert job is None, (
        f"claim() on a queue with {'no jobs' if setup == 'empty' else 'a job due in 60 s, a job under a live lease, a done and a dead job'} "
        f"should return None, got {job!r} (a done, dead or queued job whose old locked_until has passed is not an "
        "expired lease: only a running job's is)"
    )
    after = shop.db.execute("SELECT id, status, attempts, locked_by FROM jobs ORDER BY id")
    assert after == before, f"claim() found nothing due but changed the jobs: {before} -> {after}"


def test_jobs_are_claimed_by_run_at_then_id(sqlite_shop):
    shop = sqlite_shop
    now = time.time()
    ids = {
        offset: shop.db.insert_job(payload={"offset": offset}, run_at=now + offset) for offset in (-1, -3.5, -2, -0.5)
    }
    ids["tie"] = shop.db.insert_job(payload={"offset": "tie"}, run_at=now - 3.5)
    expected = [ids[-3.5], ids["tie"], ids[-2], ids[-1], ids[-0.5]]
    claimed = [(shop.call("app.queue:claim", f"w{n}", 30) or {}).get("id") for n in range(5)]
    assert claimed == expected, (
        f"claim() should take due jobs by run_at, then id: expected ids {expected}, got {claimed}"
    )


def test_ack_marks_the_job_done(sqlite_shop):
    shop = sqlite_shop
    # Three jobs running at attempt 1 on three workers: ack the middle one.
    ids = [
        shop.db.insert_job(status="running", attempts=1, locked_by=f"w{n}", locked_until=time.time() + 30)
        for n in range(3)
    ]
    job_id = ids[1]
    before = time.time()
    answer = shop.call("app.queue:ack", job_id, 1)
    after = time.time()
    assert answer is True, f"ack(job_id, 1) by the job's current attempt should return True, got {answer!r}"
    row = shop.db.job(job_id)
    assert row["status"] == "done", f"after ack() the job's status should be done, got {row['status']!r}"
    assert before <= (row["finished_at"] or 0) <= after, f"ack() should set finished_at = now, got {row['finished_at']}"
    others = {i: shop.db.job(i)["status"] for i in (ids[0], ids[2])}
    assert others == {ids[0]: "running", ids[2]: "running"}, (
        f"ack({job_id}, 1) should change job {job_id} only, but the other running jobs (attempt 1 too) now have "
        f"statuses {others}: match the job by its id"
    )


def test_stats_count_jobs_and_the_oldest_wait(sqlite_shop):
    shop = sqlite_shop
    empty = shop.call("app.queue:stats")
    expected = {"queued": 0, "running": 0, "done": 0, "dead": 0, "oldest_due_s": 0.0}
    assert empty == expected, f"stats() on an empty queue returned {empty!r}, expected {expected}"
    now = time.time()
    shop.db.insert_job(run_at=now + 60)  # queued, not due: it is not waiting yet
    waiting = (shop.call("app.queue:stats") or {}).get("oldest_due_s")
    assert waiting == 0.0, (
        f"the only queued job is due in 60 s, so no job waits: oldest_due_s should be 0.0, got {waiting!r} - "
        "measure the due queued jobs only (run_at <= now)"
    )
    shop.db.insert_job(run_at=now - 5)
    shop.db.insert_job(run_at=now - 2)
    shop.db.insert_job(status="running", attempts=1, locked_by="w1", locked_until=now + 30, run_at=now - 50)
    for _ in range(3):
        shop.db.insert_job(status="done", attempts=1, run_at=now - 90)
    shop.db.insert_job(status="dead", attempts=5, run_at=now - 80)
    stats = shop.call("app.queue:stats")
    counts = {k: (stats or {}).get(k) for k in ("queued", "running", "done", "dead")}
    want = {"queued": 3, "running": 1, "done": 3, "dead": 1}
    assert counts == want, f"stats() should count {want}, got {counts} (R14)"
    waited = (stats or {}).get("oldest_due_s")
    assert isinstance(waited, (int, float)) and 4.5 <= waited <= 5 + (time.time() - now) + 0.5, (
        f"the oldest due queued job has waited 5 s past its run_at: oldest_due_s should be about 5, got {waited!r}"
    )


def test_a_worker_runs_a_job_to_done(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    job_id = shop.db.insert_job("ping", {"seconds": 0.05})
    shop.worker("w1")
    shop.wait_done([job_id], what="the worker to run the ping job and ack it")
    assert shop.pings(job_id) == ["w1"], f"the ping job should have run once, on w1; it ran on {shop.pings(job_id)}"
