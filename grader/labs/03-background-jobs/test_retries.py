"""Part "retries": capped exponential backoff with full jitter, dead letters, poison jobs, schedules."""

import statistics
import time


def _delays(shop, attempt, base, cap, n):
    return [shop.call("app.queue:backoff_delay", attempt, base, cap) for _ in range(n)]


def test_backoff_stays_within_the_capped_window(sqlite_shop):
    for attempt in range(0, 11):
        window = min(5.0, 0.1 * 2 ** attempt)
        delays = _delays(sqlite_shop, attempt, 0.1, 5.0, 25)
        bad = [d for d in delays if not (isinstance(d, (int, float)) and 0 <= d <= window)]
        assert not bad, (
            f"backoff_delay({attempt}, base_s=0.1, cap_s=5) must lie in [0, min(cap, base * 2**attempt)] = "
            f"[0, {window:g}]; got {bad[:3]}"
        )


def test_backoff_uses_full_jitter(sqlite_shop):
    window = 8.0  # attempt 3, base 1 s: 1 * 2**3, under the cap
    delays = _delays(sqlite_shop, 3, 1.0, 100.0, 300)
    assert len(set(delays)) > 250, (
        "the delays are (nearly) all equal: without jitter every job that failed together retries together - "
        "a retry storm. Draw the delay uniformly from the window (full jitter)"
    )
    assert 0.4 * window < statistics.mean(delays) < 0.6 * window, (
        f"full jitter draws uniformly from [0, {window:g}]: the mean should be near {window / 2:g}, "
        f"got {statistics.mean(delays):.2f}"
    )
    assert min(delays) < 0.15 * window and max(delays) > 0.85 * window, "full jitter covers the whole window, from 0"


def test_a_failed_run_is_retried_later_with_its_error(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("fail", {"message": "the duck pond is frozen"}, max_attempts=3)
    shop.call("app.queue:claim", "w1", 30)
    before = time.time()
    outcome = shop.call("app.queue:fail", job_id, "w1", "RuntimeError: the duck pond is frozen", base_s=10, cap_s=10)
    after = time.time()
    assert outcome == "retry", f"fail() on attempt 1 of 3 should answer 'retry', got {outcome!r}"
    row = shop.db.job(job_id)
    assert row["status"] == "queued" and row["attempts"] == 1, row
    assert "the duck pond is frozen" in (row["last_error"] or ""), "keep the error in last_error"
    assert before - 0.01 <= row["run_at"] <= after + 10.01, (
        f"the retry should be due within [now, now + min(cap, base * 2**attempts)] = [now, now + 10 s], "
        f"got run_at = now + {row['run_at'] - after:.2f} s"
    )


def test_the_worker_spreads_its_retries(sqlite_shop):
    shop = sqlite_shop
    for n in range(12):
        shop.submit("fail", {"message": f"fail {n}"}, max_attempts=100)
    shop.worker("w1", base=30, cap=30)
    shop.wait_until(lambda: shop.db.scalar("SELECT COUNT(*) FROM jobs WHERE attempts >= 1 AND status = 'queued'") == 12,
                    30, "every failing job to be tried and queued again")
    run_ats = [r[0] for r in shop.db.rows("SELECT run_at FROM jobs")]
    assert max(run_ats) - min(run_ats) > 3.0, (
        "12 jobs failed within moments of each other and their retries are all due at about the same time: "
        "the worker should reschedule each one with the jittered backoff_delay (window 30 s here)"
    )
    assert all(r <= time.time() + 30.5 for r in run_ats), "retries must be due within min(cap, base * 2**attempts)"


def test_a_job_out_of_attempts_is_dead_lettered_with_its_last_error(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("fail", {"message": "poison duck"}, max_attempts=3)
    shop.worker("w1", base=0.02, cap=0.1)
    shop.wait_until(lambda: shop.db.job(job_id)["status"] == "dead", 30,
                    "the failing job to be dead-lettered (status 'dead') after max_attempts=3")
    row = shop.db.job(job_id)
    assert row["attempts"] == 3, f"a job with max_attempts=3 runs exactly 3 times, it ran {row['attempts']}"
    assert "poison duck" in (row["last_error"] or ""), "a dead letter keeps its last error, for whoever investigates"
    time.sleep(0.3)
    assert shop.db.job(job_id)["attempts"] == 3, "a dead job is never claimed again"


def test_a_poison_job_does_not_block_the_others(sqlite_shop):
    shop = sqlite_shop
    bad = [shop.submit("fail", {"message": "bad payload"}, max_attempts=2) for _ in range(3)]
    bad.append(shop.submit("no-such-kind", {}, max_attempts=2))
    good = [shop.submit("ping", {"n": n}) for n in range(20)]
    shop.worker("w1", base=0.02, cap=0.1)
    shop.wait_done(good, timeout_s=30)
    shop.wait_until(lambda: shop.db.scalar(f"SELECT COUNT(*) FROM jobs WHERE status = 'dead' AND last_error IS NOT NULL "
                                           f"AND id IN ({', '.join(map(str, bad))})") == len(bad),
                    10, "the failing jobs (and the job of an unknown kind) to be dead-lettered")


def test_a_scheduled_job_does_not_run_early(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.submit("ping", {}, delay_s=3)
    run_at = shop.db.job(job_id)["run_at"]
    assert abs(run_at - (time.time() + 3)) < 2, "run_at should be now + delay_s (Unix time)"
    early = shop.call("app.queue:claim", "w0", 0.1)  # (a short lease, in case this call is slow and late)
    if time.time() < run_at:
        assert early is None, f"a job due in 3 s was claimed at once: {early}"
    shop.worker("w1")
    while time.time() < run_at - 0.5:
        row = shop.db.job(job_id)
        if time.time() < run_at:  # read before it was due: it must still be waiting
            assert (row["status"], row["attempts"]) == ("queued", 0), f"the job ran before its time: {row}"
        time.sleep(0.1)
    shop.wait_done([job_id], timeout_s=30)
    started = shop.db.scalar(f"SELECT started_at FROM pings WHERE job_id = {job_id}")
    assert started >= run_at - 0.05, f"the job ran {run_at - started:.2f} s before its run_at"
