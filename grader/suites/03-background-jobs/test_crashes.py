"""Part "crashes": expired leases, fencing tokens, heartbeats, SIGKILL, SIGTERM and SIGINT."""

import signal
import time

import pytest
from conftest import WORKER_START_S

from grader.testing import fail


def test_an_expired_lease_is_claimed_again(shop):
    job_id = shop.db.insert_job(status="running", attempts=1, locked_by="ghost", locked_until=time.time() - 1)
    job = shop.call("app.queue:claim", "w2", 30)
    if job is None or job.get("id") != job_id:
        fail(
            f"job {job_id} is running, but its lease (locked_until) ran out a second ago - its worker died: "
            f"claim('w2', 30) should hand it out again, got {job!r}"
        )
    assert job.get("attempts") == 2, (
        f"the second claim of the job is attempt 2, claim() returned {job.get('attempts')!r}"
    )
    row = shop.db.job(job_id)
    got = (row["status"], row["locked_by"], row["attempts"])
    assert got == ("running", "w2", 2), f"the job's (status, locked_by, attempts) are {got}, expected (running, w2, 2)"


def test_a_job_whose_last_lease_expired_is_dead(sqlite_shop):
    shop = sqlite_shop
    now = time.time()
    doomed = shop.db.insert_job(
        status="running", attempts=3, max_attempts=3, locked_by="w0", locked_until=now - 1, run_at=now - 10
    )
    waiting = shop.db.insert_job(run_at=now - 5)
    job = shop.call("app.queue:claim", "w1", 30)
    row = shop.db.job(doomed)
    if row["attempts"] != 3:
        fail(
            f"job {doomed} killed its worker on its last attempt (3 of 3) and claim() ran it again (attempts "
            f"{row['attempts']}): a job that kills its worker would loop forever - mark it dead instead"
        )
    assert (job or {}).get("id") == waiting, f"claim() should go on to the next due job ({waiting}), got {job!r}"
    assert row["status"] == "dead", (
        f"job {doomed} ran out of attempts: its status should be dead, got {row['status']!r}"
    )
    assert (row["last_error"] or "").startswith("LeaseExpired"), (
        f"a job whose last lease expired gets a last_error starting with 'LeaseExpired', got {row['last_error']!r}"
    )


def test_heartbeat_extends_the_lease(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.db.insert_job(status="running", attempts=1, locked_by="w1", locked_until=time.time() + 0.5)
    before = time.time()
    answer = shop.call("app.queue:heartbeat", job_id, 1, 30)
    after = time.time()
    assert answer is True, f"heartbeat(job_id, 1, 30) by the current attempt should return True, got {answer!r}"
    until = shop.db.job(job_id)["locked_until"] or 0
    assert before + 30 <= until <= after + 30, (
        f"heartbeat(..., lease_s=30) should move locked_until to now + 30, got now + {until - after:.2f}"
    )


@pytest.mark.parametrize("state", ["taken over", "retried"])
def test_a_stale_attempt_changes_nothing(sqlite_shop, state):
    shop = sqlite_shop
    if state == "taken over":  # attempt 1's lease expired and attempt 2 (the same worker id) holds the job now
        job_id = shop.db.insert_job(status="running", attempts=2, locked_by="w1", locked_until=time.time() + 30)
    else:  # attempt 1 failed; the job waits for its retry
        job_id = shop.db.insert_job(status="queued", attempts=1, run_at=time.time() + 30, last_error="E: first")
    before = shop.db.job(job_id)
    answers = {
        "heartbeat": shop.call("app.queue:heartbeat", job_id, 1, 60),
        "ack": shop.call("app.queue:ack", job_id, 1),
        "fail": shop.call("app.queue:fail", job_id, 1, "RuntimeError: late", base_s=0.01, cap_s=0.01),
    }
    expected = {"heartbeat": False, "ack": False, "fail": "lost"}
    assert answers == expected, (
        f"job {job_id} is {before['status']} at attempt {before['attempts']}; a call for attempt 1 is stale "
        f"(the attempt number is the fencing token), so it should answer {expected}, got {answers}"
    )
    after = shop.db.job(job_id)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, f"calls with the stale attempt 1 changed the job (before, after): {changed}"


def test_a_long_job_keeps_its_lease_with_heartbeats(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    gate = shop.gate()
    job_id = shop.db.insert_job("ping", {"gate": str(gate)})
    lease = 1.5  # a heartbeat may be a second late on a busy machine (lease/3 + 0.5 s of slack)
    shop.worker("w1", lease=lease)
    shop.wait_until(lambda: shop.db.job(job_id)["status"] == "running", WORKER_START_S, "w1 to claim the job")
    first = shop.db.job(job_id)["locked_until"]
    watch_until = time.time() + 2.1 * lease  # the job runs for more than two leases
    while time.time() < watch_until:
        row = shop.db.job(job_id)
        if row["status"] != "running" or row["attempts"] != 1 or (row["locked_until"] or 0) < time.time() - 0.5:
            fail(
                f"the job (lease {lease} s) has run for {time.time() + 2.1 * lease - watch_until:.1f} s and its lease "
                f"ran out (locked_until now {(row['locked_until'] or 0) - time.time():+.1f} s, status "
                f"{row['status']!r}, attempts {row['attempts']}): while a handler runs, heartbeat every lease/3 s"
            )
        time.sleep(0.05)
    last = shop.db.job(job_id)["locked_until"]
    assert last > first + lease / 2, f"locked_until should move forward with each heartbeat; it went {first} -> {last}"
    gate.touch()
    shop.wait_done([job_id], what="the long job to finish once its gate opened")


def test_sigkill_mid_job_the_job_comes_back(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    gate = shop.gate()
    job_id = shop.db.insert_job("ping", {"gate": str(gate)})
    first = shop.worker("w1", lease=0.5)
    shop.wait_until(lambda: shop.db.job(job_id)["locked_by"] == "w1", WORKER_START_S, "w1 to claim the job")
    first.signal(signal.SIGKILL)  # mid-job: no cleanup, no finally - like the OOM killer
    if first.wait(5) is None:
        fail("w1 did not die within 5 s of SIGKILL")
    shop.wait_until(  # w2 starts after the lease ran out, so it must take the job over
        lambda: (shop.db.job(job_id)["locked_until"] or 0) < time.time(), 15, "w1's lease to run out", (first,)
    )
    gate.touch()
    shop.worker("w2", lease=0.5)
    shop.wait_done([job_id], what="the killed worker's job to be claimed again by w2 and done", allow_exit=(first,))
    row = shop.db.job(job_id)
    assert row["attempts"] == 2, f"the job should have been delivered twice (attempts 2), got {row['attempts']}"
    assert shop.pings(job_id) == ["w2"], f"w2 should have finished the job, pings say {shop.pings(job_id)}"


def test_sigterm_finishes_the_running_job_and_exits_0(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    gate = shop.gate()
    job_id = shop.db.insert_job("ping", {"gate": str(gate)})
    worker = shop.worker("w1")
    shop.wait_until(lambda: shop.db.job(job_id)["status"] == "running", WORKER_START_S, "the worker to claim the job")
    later = shop.db.insert_job("ping", {})
    worker.signal(signal.SIGTERM)
    time.sleep(0.3)
    if not worker.alive:
        fail(
            f"on SIGTERM the worker exited (status {worker.process.returncode}) in the middle of its job: "
            "the handler should only set a flag, and the loop stop after the job"
        )
    gate.touch()
    status = worker.wait(30)
    assert status == 0, (
        f"after SIGTERM the worker should finish its job and exit with status 0 (within 30 s), got {status}"
    )
    row = shop.db.job(job_id)
    assert row["status"] == "done", f"the job running at SIGTERM should be finished and acked, it is {row['status']!r}"
    queued_after = shop.db.job(later)
    assert queued_after["attempts"] == 0, (
        f"after SIGTERM the worker should finish its job and claim nothing more (R25): a job queued meanwhile "
        f"should have attempts 0, got {queued_after['attempts']} (status {queued_after['status']!r})"
    )


def test_an_idle_worker_exits_at_once_on_sigint(sqlite_shop):
    """SIGINT (Ctrl-C) to an idle worker; the test above sends SIGTERM to a busy one. Both stop it gracefully."""
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    job_id = shop.db.insert_job("ping", {})
    worker = shop.worker("w1", poll=30)
    shop.wait_done([job_id], what="the worker to run its first job")  # the worker is up and in its loop
    time.sleep(0.2)  # found nothing more: now waiting out its 30 s poll
    worker.signal(signal.SIGINT)
    status = worker.wait(15)
    if status is None:
        fail(
            "an idle worker (--poll 30) did not exit within 15 s of SIGINT: wait on a threading.Event, which the "
            "signal handler sets, not time.sleep"
        )
    assert status == 0, (
        f"an idle worker should exit with status 0 on SIGINT, got {status} (install the same handler as for SIGTERM)"
    )
