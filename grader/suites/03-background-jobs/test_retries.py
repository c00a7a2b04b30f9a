"""Part "retries": capped exponential backoff with full jitter, retries, dead letters, permanent errors."""

import statistics
import time

from conftest import WORKER_START_S


def _delays(shop, attempt, base, cap, n):
    return [shop.call("app.queue:backoff_delay", attempt, base, cap) for _ in range(n)]


def test_backoff_stays_within_the_capped_window(sqlite_shop):
    for attempt in range(0, 11):
        window = min(5.0, 0.1 * 2**attempt)
        delays = _delays(sqlite_shop, attempt, 0.1, 5.0, 25)
        bad = [d for d in delays if not (isinstance(d, (int, float)) and 0 <= d <= window)]
        assert not bad, (
            f"backoff_delay({attempt}, base_s=0.1, cap_s=5) must lie in [0, min(cap_s, base_s * 2**attempt)] = "
            f"[0, {window:g}]; got {bad[:3]}"
        )


def test_backoff_uses_full_jitter(sqlite_shop):
    window = 8.0  # attempt 3, base 1 s: 1 * 2**3, under the cap
    delays = _delays(sqlite_shop, 3, 1.0, 100.0, 300)
    assert len(set(delays)) > 250, (
        f"backoff_delay(3, 1, 100) gave only {len(set(delays))} different values in 300 calls: without jitter every "
        "job that failed together retries together - a retry storm. Draw the delay uniformly from the window"
    )
    mean = statistics.mean(delays)
    assert 0.4 * window < mean < 0.6 * window, (
        f"full jitter draws uniformly from [0, {window:g}]: the mean of 300 delays should be near {window / 2:g}, "
        f"got {mean:.2f}"
    )
    assert min(delays) < 0.15 * window and max(delays) > 0.85 * window, (
        f"full jitter covers the whole window [0, {window:g}]; 300 delays ranged over [{min(delays):.2f}, "
        f"{max(delays):.2f}] (equal jitter would start at {window / 2:g})"
    )


def test_a_failed_run_is_retried_later_with_its_error(sqlite_shop):
    shop = sqlite_shop
    ids = shop.db.insert_jobs(40, "fail", status="running", attempts=3, max_attempts=5, locked_by="w1")
    before = time.time()
    # base_s and cap_s left out: fail()'s defaults are base_s=1.0, cap_s=300.0
    outcomes = {shop.call("app.queue:fail", i, 3, "RuntimeError: the duck pond is frozen") for i in ids}
    after = time.time()
    assert outcomes == {"retry"}, f"fail() on attempt 3 of 5 should answer 'retry', got {outcomes}"
    rows = [shop.db.job(i) for i in ids]
    states = {(r["status"], r["attempts"], r["last_error"]) for r in rows}
    assert states == {("queued", 3, "RuntimeError: the duck pond is frozen")}, (
        f"after fail() the jobs' (status, attempts, last_error) should be (queued, 3, the error), got {states}"
    )
    delays = [r["run_at"] - before for r in rows]
    window = 8  # min(cap_s, base_s * 2**attempt) = min(300, 1 * 2**3), with fail()'s default base_s and cap_s
    assert all(-0.01 <= d <= window + (after - before) + 0.01 for d in delays), (
        f"a retry is due at now + backoff_delay(attempt=3, base_s=1, cap_s=300) (fail()'s defaults), within "
        f"[now, now + {window}]; run_at - now ranged over [{min(delays):.2f}, {max(delays):.2f}]"
    )
    assert max(delays) > window / 2, (
        f"the backoff window for attempt 3 is min(cap_s, base_s * 2**3) = {window} s (fail()'s defaults base_s=1.0, "
        f"cap_s=300.0), but 40 retries were all due within {max(delays):.2f} s: fail() should call "
        "backoff_delay(attempt, base_s, cap_s) with the attempt"
    )


def test_a_job_out_of_attempts_is_dead_lettered(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.db.insert_job("fail", status="running", attempts=3, max_attempts=3, locked_by="w1")
    error = "RuntimeError: poison duck " + "quack " * 500  # 3026 characters: last_error keeps the first 2000
    before = time.time()
    outcome = shop.call("app.queue:fail", job_id, 3, error, base_s=0.01, cap_s=0.01)
    after = time.time()
    assert outcome == "dead", f"fail() on attempt 3 of 3 should answer 'dead', got {outcome!r}"
    row = shop.db.job(job_id)
    assert row["status"] == "dead", f"the job's status should be dead, got {row['status']!r}"
    kept = row["last_error"] or ""
    assert kept == error[:2000], (
        f"last_error should be the error's first 2000 characters ({error[:30]!r}...); got {len(kept)} characters "
        f"({kept[:30]!r}...)"
    )
    assert before <= (row["finished_at"] or 0) <= after, (
        f"a dead letter gets finished_at = now, got {row['finished_at']}"
    )


def test_a_permanent_failure_is_dead_lettered_at_once(sqlite_shop):
    shop = sqlite_shop
    job_id = shop.db.insert_job("fail", status="running", attempts=1, max_attempts=5, locked_by="w1")
    outcome = shop.call("app.queue:fail", job_id, 1, "PermanentError: no such order", permanent=True)
    assert outcome == "dead", f"fail(..., permanent=True) on attempt 1 of 5 should answer 'dead', got {outcome!r}"
    row = shop.db.job(job_id)
    got = (row["status"], row["last_error"])
    assert got == ("dead", "PermanentError: no such order"), (
        "after fail(..., permanent=True) the job's (status, last_error) should be (dead, 'PermanentError: no such "
        f"order'), got {got} (R13)"
    )


def test_the_worker_retries_a_failing_job_until_it_is_dead(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    poison = shop.db.insert_job("fail", {"message": "poison duck"}, max_attempts=3, run_at=time.time() - 1)
    good = shop.db.insert_job("ping", {})
    shop.worker("w1", base=0.01, cap=0.05)
    shop.wait_until(
        lambda: shop.db.job(poison)["status"] == "dead",
        WORKER_START_S,
        "the failing job (max_attempts=3) to be retried and then dead-lettered",
    )
    row = shop.db.job(poison)
    got = (row["attempts"], row["last_error"])
    assert got == (3, "RuntimeError: poison duck"), (
        f"the failing job should run 3 times and keep its error as 'ExceptionName: message'; (attempts, last_error) "
        f"are {got}"
    )
    shop.wait_done([good], what="the good job queued behind the failing one")


def test_the_worker_spreads_its_retries(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    shop.db.insert_jobs(12, "fail", {"message": "the mail server is down"}, max_attempts=100)
    shop.worker("w1", base=15, cap=30)
    shop.wait_until(
        lambda: shop.db.scalar("SELECT COUNT(*) FROM jobs WHERE attempts >= 1 AND status = 'queued'") == 12,
        WORKER_START_S,
        "each of the 12 failing jobs to be tried once and queued again",
    )
    now = time.time()
    run_ats = [r[0] for r in shop.db.execute("SELECT run_at FROM jobs")]
    assert max(run_ats) <= now + 30.5, (
        f"the worker runs with --backoff-base 15 --backoff-cap 30: a retry is due within min(30, 15 * 2**attempt) = 30 s, "
        f"one is due in {max(run_ats) - now:.1f} s"
    )
    assert max(run_ats) - min(run_ats) > 6, (
        f"12 jobs failed together and their retries are due within {max(run_ats) - min(run_ats):.1f} s of each "
        "other: the worker should pass its --backoff-base/--backoff-cap to fail(), which draws a jittered delay "
        "from [0, 30] s for each"
    )


def test_permanent_failures_are_dead_at_once(sqlite_shop):
    shop = sqlite_shop
    shop.needs("app.queue:claim", "probe", 30)
    permanent = shop.db.insert_job("fail", {"message": "bad payload", "permanent": True}, max_attempts=5)
    unknown = shop.db.insert_job("no-such-kind", {}, max_attempts=5)
    shop.worker("w1", base=0.01, cap=0.05)
    ids = f"{permanent}, {unknown}"
    shop.wait_until(
        lambda: shop.db.scalar(f"SELECT COUNT(*) FROM jobs WHERE id IN ({ids}) AND status = 'dead'") == 2,
        WORKER_START_S,
        "a job whose handler raised PermanentError and a job of an unknown kind to be dead-lettered",
    )
    rows = {name: shop.db.job(i) for name, i in (("PermanentError", permanent), ("unknown kind", unknown))}
    tries = {name: row["attempts"] for name, row in rows.items()}
    assert tries == {"PermanentError": 1, "unknown kind": 1}, (
        f"retrying cannot help these jobs: each should be dead after its first attempt; attempts: {tries}"
    )
    got = rows["PermanentError"]["last_error"]
    assert got == "PermanentError: bad payload", f"last_error should be 'PermanentError: bad payload', got {got!r}"
    assert rows["unknown kind"]["last_error"], (
        f"a job of an unknown kind should be dead with a last_error saying why, got "
        f"{rows['unknown kind']['last_error']!r} (R23)"
    )
