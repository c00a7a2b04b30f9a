"""Bulk-loading 100,000 customers: within a ratio of the reference, measured in the same run."""

import csv
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from _helpers import T0, call
from grader._sandbox.learner import LearnerCrash, LearnerError

LOAD = "app.bulk:load_customers"
ROWS = 100_000
COUNTRIES = ["DE", "FR", "NL", "GB", "US", "JP", "IT", "ES", "SE"]


def write_csv(path: Path, rows: int, duplicate_at: int | None = None) -> str:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["email", "name", "city", "country", "created_at"])
        for n in range(rows):
            email = f"customer{(0 if n == duplicate_at else n):06d}@example.com"
            writer.writerow([email, f"Customer {n}", f"City {n % 97}", COUNTRIES[n % len(COUNTRIES)],
                             (T0 + timedelta(seconds=37 * n)).isoformat()])
    os.chmod(path, 0o644)
    return str(path)


def reference_seconds(db, path: str) -> float:
    result = subprocess.run([sys.executable, str(Path(__file__).with_name("_reference.py")), db.url, path],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return float(result.stdout.strip())


def test_bulk_load_is_within_5x_of_the_reference(schema_db, learner):
    folder = Path(schema_db("sqlite").url.removeprefix("sqlite:///")).parent
    small = write_csv(folder / "small.csv", 10)
    warm = schema_db("sqlite")
    assert call(learner, LOAD, warm.url, small) == 10, "load_customers returns the number of rows loaded"
    path = write_csv(folder / "customers.csv", ROWS)
    reference = reference_seconds(schema_db("sqlite"), path)
    db = schema_db("sqlite")
    allowed = 5 * reference + 1.0
    started = time.perf_counter()
    try:
        loaded = learner.call(LOAD, db.url, path, timeout_s=allowed + 5)
    except LearnerCrash:
        pytest.fail(f"loading {ROWS:,} rows took more than {allowed + 5:.1f} s; the reference took {reference:.2f} s "
                    "- per-row ORM objects and flushes are far too slow: use insert() with batches of dicts",
                    pytrace=False)
    elapsed = time.perf_counter() - started
    assert loaded == ROWS == db.scalar("SELECT count(*) FROM customers"), f"returned {loaded}; expected {ROWS}"
    assert elapsed <= allowed, (f"loading {ROWS:,} rows took {elapsed:.2f} s; the reference took {reference:.2f} s "
                                f"on this machine just now (allowed: 5x + 1 s = {allowed:.2f} s)")
    sample = db.rows("SELECT email, country FROM customers WHERE email = 'customer054321@example.com'")
    assert sample == [("customer054321@example.com", COUNTRIES[54321 % 9])], sample


def test_bulk_load_is_all_or_nothing(schema_db, learner):
    db = schema_db("sqlite")
    path = write_csv(Path(db.url.removeprefix("sqlite:///")).parent / "dup.csv", 5_000, duplicate_at=4_000)
    try:
        value = learner.call(LOAD, db.url, path, timeout_s=60)
    except LearnerError as exc:
        if exc.type == "NotImplementedError":
            pytest.fail(f"{LOAD} is not implemented yet: {exc.message}", pytrace=False)
    except LearnerCrash as exc:
        pytest.fail(str(exc), pytrace=False)
    else:
        pytest.fail(f"row 4,001 repeats an email, yet load_customers returned {value!r}: it must raise")
    count = db.scalar("SELECT count(*) FROM customers")
    assert count == 0, (f"the load failed at row 4,001 but {count:,} rows stayed in the table: load in ONE "
                        "transaction, so a failed load leaves nothing behind")
