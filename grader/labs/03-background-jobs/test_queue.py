"""Part "queue": enqueue, claim with a lease, acknowledge - on SQLite and on PostgreSQL."""

import time


def test_a_submitted_job_is_claimed_with_its_payload(sqlite_shop):
    shop = sqlite_shop
    payload = {"seconds": 0, "note": "Entenhausen ü 🦆", "items": [1, 2]}
    job_id = shop.submit("ping", payload)
    assert isinstance(job_id, int), f"submit() should return the new job's id (an int), got {job_id!r}"
    before = time.time()
    job = shop.call("app.queue:claim", "w1", 30)
    assert isinstance(job, dict), f"claim() should return the job as a dict, got {job!r}"
    assert (job.get("id"), job.get("kind"), job.get("payload"), job.get("attempts")) == (job_id, "ping", payload, 1), job
    row = shop.db.job(job_id)
    assert (row["status"], row["locked_by"], row["attempts"]) == ("running", "w1", 1), row
    assert before + 25 < row["locked_until"] < time.time() + 35, "locked_until should be now + lease_s (Unix time)"


def test_claim_returns_none_when_nothing_is_due(sqlite_shop):
    shop = sqlite_shop
    assert shop.call("app.queue:claim", "w1", 30) is None, "an empty queue: claim() returns None"


def test_jobs_are_claimed_oldest_first(sqlite_shop):
    shop = sqlite_shop
    ids = [shop.submit("ping", {"n": n}) for n in range(3)]
    claimed = [shop.call("app.queue:claim", f"w{n}", 30)["id"] for n in range(3)]
    assert claimed == ids, f"jobs should be claimed in the order they became due: expected {ids}, got {claimed}"


def test_a_leased_job_is_not_claimed_twice(shop):
    job_id = shop.submit("ping", {})
    assert shop.call("app.queue:claim", "w1", 30)["id"] == job_id
    again = shop.call("app.queue:claim", "w2", 30)
    assert again is None, f"a job under a live lease must not be handed to a second worker, got {again!r}"


def test_ack_marks_the_job_done(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("ping", {})
    shop.call("app.queue:claim", "w1", 30)
    assert shop.call("app.queue:ack", job_id, "w2") is False, "only the worker holding the lease may ack"
    assert shop.call("app.queue:ack", job_id, "w1") is True, "ack() by the lease holder returns True"
    row = shop.db.job(job_id)
    assert row["status"] == "done", row
    assert shop.call("app.queue:claim", "w1", 30) is None, "a done job is never claimed again"


def test_a_worker_runs_a_job_to_done(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("ping", {"seconds": 0.1})
    shop.worker("w1")
    shop.wait_done([job_id], timeout_s=30)
    runs = shop.db.rows(f"SELECT worker_id FROM pings WHERE job_id = {job_id}")
    assert runs == [("w1",)], f"the ping handler should have run once, by w1; pings: {runs}"
