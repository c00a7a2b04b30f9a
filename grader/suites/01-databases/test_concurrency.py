"""Many buyers, few ducks: separate learner processes race, and the race is provoked (R18, R19).

The window is widened deterministically, never hoped for: the suite holds the products' write
lock (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) while the buyers
start, and lets go only once every buyer waits to write - PostgreSQL's pg_stat_activity says so;
on SQLite the provided ``app/db.py`` notes each write in ``LAB01_WRITES_LOG`` before sending it.
By then every buyer has done its reads: a read-check-write loses updates in every run, and two
orders locking the same rows in opposite orders deadlock in every run.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from _helpers import ENGINES, FIRST_CALL_S, add_customer, add_product, needs
from sqlalchemy import bindparam, text

from grader.testing import LearnerCrash, LearnerError, LearnerLib, fail

PLACE = "app.orders:place_order"
BUYERS = 4  # learner processes, one test thread each
HOLD_S = 10  # the longest the suite waits for every buyer to reach its first write
CALL_S = 45  # one place_order call, the wait for the lock included
TEST_S = 100  # the whole race; each test's own bound (pytest-timeout) is above it


@pytest.fixture(scope="module")
def buyers(sandbox):
    """BUYERS separate learner processes for this file, started on first use (a dead one restarts)."""
    log = os.path.join(sandbox.scratch_dir, f"lab01-writes-{os.getpid()}")
    with open(log, "w"):
        pass
    os.chmod(log, 0o666)  # the learner's processes append to it; its folder is not theirs to change
    processes = [LearnerLib(sandbox, env={"LAB01_WRITES_LOG": log}, timeout_s=CALL_S) for _ in range(BUYERS)]
    yield processes, log
    for process in processes:
        process.stop()


def warm_up(buyers) -> None:
    """Import the learner's modules in every buyer, side by side."""

    def one(buyer: LearnerLib) -> None:
        try:
            buyer.call(PLACE, "sqlite://", 0, [], timeout_s=FIRST_CALL_S)
        except (LearnerError, LearnerCrash):
            pass

    with ThreadPoolExecutor(BUYERS) as pool:
        list(pool.map(one, buyers))


@contextlib.contextmanager
def write_lock(db, skus: list[str], log: str):
    """Hold the products' write lock; yield a function that waits until every buyer waits to write."""
    if db.kind == "postgres":
        waiters = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'")
        locked = text("SELECT id FROM products WHERE sku IN :skus FOR UPDATE")
        with db.engine.connect() as conn, db.engine.connect() as activity:
            # Autocommit: pg_stat_activity is read once per transaction, and we want it fresh every time.
            activity = activity.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(locked.bindparams(bindparam("skus", expanding=True)), {"skus": skus})
            try:
                yield lambda: activity.execute(waiters, {"db": db.name}).scalar()
            finally:
                conn.rollback()
    else:
        start = os.path.getsize(log)

        def waiting() -> int:
            with open(log) as f:
                f.seek(start)
                return len(set(f.read().split()))

        lock = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
        lock.execute("BEGIN IMMEDIATE")
        try:
            yield waiting
        finally:
            lock.execute("ROLLBACK")
            lock.close()


def race(buyers, db, items_for, attempts: int) -> tuple[Counter, Counter, str]:
    """Every buyer places ``attempts`` orders as fast as it can, the first ones all at once.

    Returns (outcome -> count, sku -> units the successful calls reported, how long the lock was held).
    """
    processes, log = buyers
    warm_up(processes)
    customer = db.scalar("SELECT min(id) FROM customers")
    skus = sorted({item["sku"] for i in range(BUYERS) for item in items_for(i, 0)})
    outcomes, units = Counter(), Counter()
    tally = threading.Lock()
    deadline = time.monotonic() + TEST_S

    def buy(index: int):
        for attempt in range(attempts):
            items = items_for(index, attempt)
            try:
                processes[index].call(
                    PLACE, db.url, customer, items, timeout_s=max(1, min(CALL_S, deadline - time.monotonic()))
                )
                outcome = "sold"
            except LearnerError as exc:
                outcome = exc.type if exc.type == "InsufficientStock" else f"{exc.type}: {exc.message[:160]}"
            except LearnerCrash as exc:
                outcome = f"crash: {exc}"
            with tally:
                outcomes[outcome] += 1
                if outcome == "sold":
                    units.update({item["sku"]: item["quantity"] for item in items})
            if outcome.startswith("crash") or time.monotonic() > deadline:
                return

    pool = ThreadPoolExecutor(BUYERS)
    try:
        with write_lock(db, skus, log) as waiting:
            futures = [pool.submit(buy, i) for i in range(BUYERS)]
            held_since = time.monotonic()
            while waiting() < BUYERS and time.monotonic() < held_since + HOLD_S and not all(f.done() for f in futures):
                time.sleep(0.01)
            held = f"the suite held the write lock {time.monotonic() - held_since:.1f} s, until {waiting()} of {BUYERS} buyers waited to write"
        for future in futures:
            future.result()
    finally:
        pool.shutdown(wait=True)
    return outcomes, units, held


def setup(db, stocks: dict[str, int]):
    tables = db.tables()
    with db.engine.begin() as conn:
        add_customer(conn, tables, "crowd@example.com")
        for sku, units in stocks.items():
            add_product(conn, tables, sku, 999, units)


def sold(db, sku: str) -> int:
    return db.scalar(
        "SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN products p ON p.id = i.product_id "
        "WHERE p.sku = :sku",
        sku=sku,
    )


def not_insufficient(outcomes: Counter) -> dict:
    return {k: v for k, v in outcomes.items() if k not in ("sold", "InsufficientStock")}


@pytest.mark.timeout(TEST_S + 30)
@pytest.mark.parametrize("kind", ENGINES)
def test_the_stock_is_never_oversold(kind, schema_db, learner, buyers):
    needs(learner, PLACE)  # before any buyer starts
    db = schema_db(kind)
    setup(db, {"DUCK-LAST": 15})
    outcomes, units, held = race(buyers, db, lambda i, a: [{"sku": "DUCK-LAST", "quantity": 1 + (i + a) % 3}], 4)
    if not outcomes["sold"]:
        fail(
            f"{kind}: {BUYERS} buyers placed {sum(outcomes.values())} orders and none succeeded: {dict(outcomes)} ({held})"
        )
    left = db.scalar("SELECT stock FROM products WHERE sku = 'DUCK-LAST'")
    lines = sold(db, "DUCK-LAST")
    assert left >= 0 and lines + left == 15 and units["DUCK-LAST"] == lines, (
        f"{kind}: 15 units in stock, {BUYERS} buyers at once: the successful orders report {units['DUCK-LAST']} units, "
        f"the order lines hold {lines}, and {left} are left in stock; expected sold + left = 15 - lost updates "
        f"(read the stock, check it, write it back): decrement with one conditional UPDATE and check its rowcount ({held})"
    )


@pytest.mark.timeout(TEST_S + 30)
@pytest.mark.parametrize("kind", ENGINES)
def test_orders_fail_only_for_want_of_stock(kind, schema_db, learner, buyers):
    needs(learner, PLACE)  # before any buyer starts
    db = schema_db(kind)
    setup(db, {"DUCK-X": 400, "DUCK-Y": 400})
    pairs = [
        [{"sku": "DUCK-X", "quantity": 1}, {"sku": "DUCK-Y", "quantity": 1}],
        [{"sku": "DUCK-Y", "quantity": 1}, {"sku": "DUCK-X", "quantity": 1}],
    ]
    outcomes, _, held = race(buyers, db, lambda i, a: pairs[(i + a) % 2], 4)
    failed = {k: v for k, v in outcomes.items() if k != "sold"}
    assert not failed, (
        f"{kind}: {BUYERS} buyers, plenty of stock, half of them listing DUCK-X then DUCK-Y and half the other way "
        f"round: {outcomes['sold']} orders succeeded, and these failed: {failed}; expected every order to succeed "
        f"(lock rows in one fixed order, e.g. by id - or retry the transaction on a deadlock or serialization failure; {held})"
    )
