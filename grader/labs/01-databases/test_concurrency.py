"""Many buyers, few ducks: separate learner processes race for the last units."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from _helpers import add_customer, add_product
from grader._sandbox.learner import LearnerCrash, LearnerError, LearnerLib

PLACE = "app.orders:place_order"
BUYERS = 8      # learner processes, one test thread each
ATTEMPTS = 5    # orders each buyer tries


def _warm_up(buyer: LearnerLib) -> None:
    try:  # imports the learner's modules (a second or so per process), then fails fast
        buyer.call(PLACE, "sqlite://", 0, [])
    except (LearnerError, LearnerCrash):
        pass


@pytest.fixture(scope="module")
def buyers(sandbox):
    """BUYERS separate learner processes, started once for this file (a dead one restarts)."""
    processes = [LearnerLib(sandbox, timeout_s=60) for _ in range(BUYERS)]
    with ThreadPoolExecutor(BUYERS) as pool:
        list(pool.map(_warm_up, processes))
    yield processes
    for process in processes:
        process.stop()


def race(buyers, db, items_for, attempts: int = ATTEMPTS) -> Counter:
    """Every buyer process places orders as fast as it can; returns outcome -> count."""
    customer = db.scalar("SELECT min(id) FROM customers")
    start = threading.Barrier(BUYERS)
    outcomes = Counter()
    lock = threading.Lock()

    def buy(index: int):
        start.wait()
        for attempt in range(attempts):
            try:
                buyers[index].call(PLACE, db.url, customer, items_for(index, attempt))
                outcome = "sold"
            except LearnerError as exc:
                outcome = exc.type if exc.type == "InsufficientStock" else f"{exc.type}: {exc.message[:200]}"
            except LearnerCrash as exc:
                outcome = f"crash: {exc}"
            with lock:
                outcomes[outcome] += 1
            if outcome not in ("sold", "InsufficientStock"):
                return

    with ThreadPoolExecutor(BUYERS) as pool:
        list(pool.map(buy, range(BUYERS)))
    return outcomes


def setup(db, stocks: dict[str, int]):
    tables = db.tables()
    with db.engine.begin() as conn:
        add_customer(conn, tables, "crowd@example.com")
        for sku, units in stocks.items():
            add_product(conn, tables, sku, 999, units)


def sold(db, sku: str) -> int:
    return db.scalar("SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN products p ON p.id = i.product_id "
                     "WHERE p.sku = :sku", sku=sku)


def check_exact(db, outcomes: Counter, sku: str, units: int):
    odd = {k: v for k, v in outcomes.items() if k not in ("sold", "InsufficientStock")}
    assert not odd, f"buyers got errors other than InsufficientStock: {odd}"
    left = db.scalar("SELECT stock FROM products WHERE sku = :sku", sku=sku)
    assert (sold(db, sku), left) == (units, 0), (
        f"{BUYERS} concurrent buyers for {units} units: {sold(db, sku)} units sold (order lines), stock left {left}, "
        f"{outcomes['sold']} successful orders - expected exactly {units} sold and 0 left")
    assert outcomes["sold"] == units, f"{outcomes['sold']} calls reported success for {units} units"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_last_units_are_sold_exactly_once(kind, schema_db, buyers):
    db = schema_db(kind)
    setup(db, {"DUCK-LAST": 15})
    outcomes = race(buyers, db, lambda i, a: [{"sku": "DUCK-LAST", "quantity": 1}])
    check_exact(db, outcomes, "DUCK-LAST", 15)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_mixed_quantities_never_oversell(kind, schema_db, buyers):
    db = schema_db(kind)
    setup(db, {"DUCK-HOT": 23})
    outcomes = race(buyers, db, lambda i, a: [{"sku": "DUCK-HOT", "quantity": 1 + (i + a) % 3}], attempts=6)
    odd = {k: v for k, v in outcomes.items() if k not in ("sold", "InsufficientStock")}
    assert not odd, f"buyers got errors other than InsufficientStock: {odd}"
    left = db.scalar("SELECT stock FROM products WHERE sku = 'DUCK-HOT'")
    assert left >= 0 and sold(db, "DUCK-HOT") + left == 23, (
        f"23 units at the start: {sold(db, 'DUCK-HOT')} sold + {left} left != 23 (a lost update)")
    assert left < 3, f"{left} units left although buyers kept asking for 1 to 3 units"


def test_orders_for_the_same_ducks_in_opposite_order_do_not_deadlock(schema_db, buyers):
    db = schema_db("postgres")
    setup(db, {"DUCK-X": 400, "DUCK-Y": 400})
    pairs = [[{"sku": "DUCK-X", "quantity": 1}, {"sku": "DUCK-Y", "quantity": 1}],
             [{"sku": "DUCK-Y", "quantity": 1}, {"sku": "DUCK-X", "quantity": 1}]]
    outcomes = race(buyers, db, lambda i, a: pairs[(i + a) % 2], attempts=8)
    assert outcomes == {"sold": BUYERS * 8}, f"every order should succeed (plenty of stock): {dict(outcomes)}"
    for sku in ("DUCK-X", "DUCK-Y"):
        left = db.scalar("SELECT stock FROM products WHERE sku = :sku", sku=sku)
        assert sold(db, sku) + left == 400 and left == 400 - BUYERS * 8, f"{sku}: {sold(db, sku)} sold, {left} left"
