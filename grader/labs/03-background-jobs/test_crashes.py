"""Part "crashes": leases expire, heartbeats keep long jobs, SIGKILL and SIGTERM."""

import signal
import time


def test_an_expired_lease_is_claimed_again(shop):
    job_id = shop.submit("ping", {})
    assert shop.call("app.queue:claim", "ghost", 0.3)["id"] == job_id  # a worker that then dies
    time.sleep(0.6)
    job = shop.call("app.queue:claim", "w2", 30)
    assert job is not None and job["id"] == job_id, (
        "a running job whose lease (locked_until) has passed belongs to a dead worker: claim() must hand it out again"
    )
    assert job["attempts"] == 2, f"the second delivery is attempt 2, got {job['attempts']}"
    assert shop.call("app.queue:ack", job_id, "ghost") is False, "the old lease holder lost the job: its ack is refused"
    assert shop.call("app.queue:ack", job_id, "w2") is True


def test_heartbeat_extends_the_lease(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("ping", {})
    shop.call("app.queue:claim", "w1", 0.5)
    assert shop.call("app.queue:heartbeat", job_id, "w1", 30) is True, "heartbeat() by the holder returns True"
    time.sleep(0.8)
    assert shop.call("app.queue:claim", "w2", 30) is None, "after a heartbeat the lease runs 30 s more: not claimable"
    assert shop.call("app.queue:heartbeat", job_id, "w2", 30) is False, "a worker that doesn't hold the job can't extend it"


def test_a_long_job_keeps_its_lease_with_heartbeats(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("ping", {"seconds": 4})
    shop.worker("w1", lease=2)
    shop.wait_until(lambda: shop.db.job(job_id)["status"] == "running", 30, "w1 to claim the job")
    shop.worker("w2", lease=2)  # would steal the job if w1 let its 2 s lease run out
    shop.wait_done([job_id], timeout_s=30)
    runs = shop.db.rows(f"SELECT worker_id FROM pings WHERE job_id = {job_id}")
    assert runs == [("w1",)], f"a 4 s job under a 2 s lease must be kept alive by heartbeats; it ran: {runs}"


def test_sigkill_mid_job_the_job_comes_back_and_one_mail_goes_out(sqlite_shop):
    shop = sqlite_shop
    shop.smtp.stall_first = True
    order_id = shop.call("app.orders:place_order", "quack@duckshop.example", 2495)
    first = shop.worker("w1", lease=1.0)
    shop.wait_until(shop.smtp.stalled.is_set, 30, "w1 to start sending the confirmation")
    first.signal(signal.SIGKILL)  # mid-job: the SMTP conversation is half done
    assert first.wait(5) is not None
    shop.worker("w2", lease=1.0)
    shop.wait_until(lambda: shop.db.statuses().get("done") == 1, 30, "the job to be redelivered and done",
                    allow_exit=(first,))
    attempts = shop.db.scalar("SELECT attempts FROM jobs")
    assert attempts == 2, f"the job should have been delivered twice (attempts 2), got {attempts}"
    mails = shop.smtp.for_order(order_id)
    assert len(mails) == 1, f"exactly one confirmation mail for order {order_id}, got {len(mails)}"


def test_sigterm_finishes_the_running_job_and_exits_0(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("ping", {"seconds": 1.5})
    worker = shop.worker("w1")
    shop.wait_until(lambda: shop.db.job(job_id)["status"] == "running", 30, "the worker to claim the job")
    worker.signal(signal.SIGTERM)
    status = worker.wait(10)
    assert status == 0, (
        f"on SIGTERM the worker should finish its job and exit with status 0 within 10 s, got {status} "
        "(a negative status means the signal killed it: install a handler)"
    )
    assert shop.db.job(job_id)["status"] == "done", "the job running at SIGTERM must be finished and acked"
    assert shop.db.scalar(f"SELECT COUNT(*) FROM pings WHERE job_id = {job_id}") == 1


def test_sigterm_on_an_idle_worker_exits_promptly(sqlite_shop):
    shop = sqlite_shop
    worker = shop.worker("w1", poll=20)
    shop.wait_done([shop.submit("ping", {})], timeout_s=30)  # the worker is up and in its loop
    time.sleep(0.5)  # found nothing more: now sleeping between polls
    started = time.monotonic()
    worker.signal(signal.SIGTERM)
    status = worker.wait(10)
    assert status == 0, f"an idle worker should exit 0 on SIGTERM, got {status}"
    assert time.monotonic() - started < 8, "an idle worker should not sleep out its whole poll interval before exiting"
