"""Bulk-loading customers: every row, all or nothing, and fast - a ratio to a reference (R34-R36).

The reference loader runs in a trusted child process, on a database the suite made with its own
``customers`` table, while no learner process runs: nothing the learner's code does can slow it.
It is timed before and after the learner's load, and the quicker time counts: a burst of load
elsewhere on the machine during one reference run cannot make a slow loader pass.
"""

import csv
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from _helpers import FIRST_CALL_S, T0, as_utc, needs, reference_metadata, trusted_engine

from grader.testing import LearnerCrash, LearnerError, TimeBudget, call, fail, stop_learner_code, timed

LOAD = "app.bulk:load_customers"
ROWS = 100_000
FAIL_AT = 20_000  # the row (0-based) that repeats an email: line 20,001 of the data
EXISTING = ("first@example.com", "second@example.com")  # in the table before a load; line 20,001 repeats the first
COUNTRIES = ["DE", "FR", "NL", "GB", "US", "JP", "IT", "ES", "SE"]
OFFSETS = ["+00:00", "Z", "+02:00", "-05:30", ""]  # R1: any offset, or none (UTC)


def row(n: int) -> list[str]:
    moment = T0 + timedelta(seconds=37 * n, microseconds=n % 1000)
    return [
        f"customer{n:06d}@example.com",
        f"Customer {n}",
        f"City {n % 97}",
        COUNTRIES[n % len(COUNTRIES)],
        moment.replace(tzinfo=None).isoformat() + OFFSETS[n % len(OFFSETS)],
    ]


@pytest.fixture
def csv_file(sandbox):
    """``csv_file(rows, duplicate_at=None)`` -> the path of a CSV the learner can read and not change;
    row ``duplicate_at`` repeats the email of a customer already in the table (``EXISTING[0]``)."""
    folder = Path(sandbox.scratch_dir) / f"lab01-csv-{uuid.uuid4().hex[:8]}"
    folder.mkdir(mode=0o755)

    def write(rows: int, duplicate_at: int | None = None) -> str:
        path = folder / f"customers-{rows}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["email", "name", "city", "country", "created_at"])
            for n in range(rows):
                writer.writerow([EXISTING[0], *row(n)[1:]] if n == duplicate_at else row(n))
        os.chmod(path, 0o644)
        return str(path)

    return write


def expected(n: int) -> tuple:
    email, name, city, country, created_at = row(n)
    return email, name, city, country, as_utc(created_at.replace("Z", "+00:00"))


def test_load_customers_stores_every_row(schema_db, learner, csv_file):
    needs(learner, LOAD)
    db = schema_db("sqlite")
    path = csv_file(50)
    loaded = call(learner, LOAD, db.url, path)
    got = [
        (*r[:4], as_utc(r[4]))
        for r in db.rows("SELECT email, name, city, country, created_at FROM customers ORDER BY email")
    ]
    want = [expected(n) for n in range(50)]
    assert got == want, (
        f"after loading 50 rows the customers table holds {len(got)} rows; first differences: "
        f"{[(g, w) for g, w in zip(got, want) if g != w][:2] or (got[:1], want[:1])} "
        "(email, name, city, country, created_at as that moment in UTC)"
    )
    assert loaded == 50, f"load_customers returned {loaded!r}; expected the number of rows loaded, 50"


@pytest.mark.timeout(150)
def test_a_failed_load_leaves_the_table_as_it_was(schema_db, learner, csv_file):
    needs(learner, LOAD)
    db = schema_db("sqlite")
    with db.engine.begin() as conn:
        for email in EXISTING:
            conn.exec_driver_sql(
                "INSERT INTO customers (email, name, city, country, created_at) VALUES (?, 'Old', 'Ducksburg', 'DE', ?)",
                (email, "2024-01-01 00:00:00.000000"),
            )
    before = db.rows("SELECT * FROM customers ORDER BY id")
    path = csv_file(FAIL_AT + 5_000, duplicate_at=FAIL_AT)
    try:
        value = learner.call(LOAD, db.url, path, timeout_s=120)
    except LearnerError as exc:
        if exc.type == "NotImplementedError":
            fail(f"{LOAD} is not implemented yet: {exc.message}")
    except LearnerCrash as exc:
        fail(str(exc))
    else:
        fail(f"line {FAIL_AT + 1:,} repeats an email, yet load_customers returned {value!r}; expected it to raise")
    after = db.rows("SELECT * FROM customers ORDER BY id")
    assert after == before, (
        f"the load failed at line {FAIL_AT + 1:,}; the table held {len(before)} rows before and {len(after):,} after; "
        "expected exactly the rows it held before: one transaction for the whole load (no commit per batch, "
        f"and no DELETE to clean up: {EXISTING[0]}, whose email line {FAIL_AT + 1:,} repeats, was a customer before the load)"
    )


def reference_seconds(sandbox, path: str) -> float:
    """The reference load, on a database the suite made with its own customers table."""
    folder = Path(sandbox.scratch_dir) / f"lab01-reference-{uuid.uuid4().hex[:8]}"
    folder.mkdir(mode=0o700)
    url = f"sqlite:///{folder / 'reference.db'}"
    engine = trusted_engine(url)
    reference_metadata.create_all(engine)
    engine.dispose()
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_reference.py")), url, path],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"the suite's reference loader failed: {result.stderr[-500:]}"
    return float(result.stdout.strip())


@pytest.mark.timeout(200)
def test_bulk_load_is_within_5x_of_the_reference(schema_db, learner, csv_file, sandbox):
    needs(learner, LOAD)
    small = csv_file(10)
    call(learner, LOAD, schema_db("sqlite").url, small)  # fails at once when it is missing
    path = csv_file(ROWS)
    db = schema_db("sqlite")
    learner.stop()
    stop_learner_code(sandbox)  # none of the learner's code runs while the reference is timed, daemons included
    reference = reference_seconds(sandbox, path)
    call(learner, LOAD, schema_db("sqlite").url, small, timeout_s=FIRST_CALL_S)  # a fresh process, warmed
    budget = TimeBudget(reference, factor=5, slack_s=1)
    try:
        _, took = timed(learner.call, LOAD, db.url, path, timeout_s=budget.timeout_s)
    except LearnerCrash:
        fail(
            f"loading {ROWS:,} rows took more than {budget.timeout_s:.1f} s; the reference took {reference:.2f} s "
            "- per-row ORM objects and flushes are far too slow: use insert() with batches of dicts"
        )
    except LearnerError as exc:
        fail(f"loading {ROWS:,} rows raised {exc.type}: {exc.message[:200]}")
    count = db.scalar("SELECT count(*) FROM customers")
    assert count == ROWS, f"after loading {ROWS:,} rows the table holds {count:,}; expected {ROWS:,}"
    # The reference again, after the learner's load: a burst of load elsewhere on the machine while
    # one of them ran must not make a slow loader look fast (the quicker reference counts).
    stop_learner_code(sandbox)
    budget = TimeBudget(min(reference, reference_seconds(sandbox, path)), factor=5, slack_s=1)
    budget.check(took, what=f"loading {ROWS:,} rows", hint="insert in batches of dicts (executemany), not row by row")
