"""Bulk-loading customers from a CSV file: 100,000 rows in seconds, all or nothing."""

from __future__ import annotations

import csv
from itertools import islice

from sqlalchemy import delete, insert

from . import times
from .db import engine_for
from .models import Customer

BATCH = 10_000


def load_customers(url: str, csv_path: str) -> int:
    # Core insert() with a list of dicts is an executemany: one prepared statement, the rows
    # sent in batches. Each batch is committed on its own (one huge transaction is slow), and if
    # any batch fails the rows of this file are deleted again, so the load stays all or nothing.
    engine = engine_for(url)
    loaded = 0
    emails: list[str] = []
    try:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = csv.DictReader(f)
            while batch := list(islice(rows, BATCH)):
                for row in batch:
                    row["created_at"] = times.parse(row["created_at"])
                emails.extend(row["email"] for row in batch)
                with engine.begin() as conn:
                    conn.execute(insert(Customer), batch)
                loaded += len(batch)
    except Exception:
        # WRONG (on purpose): undo by deleting every email of the file - the customer whose email
        # the failing line repeats was there before, and goes too (and readers saw the batches)
        with engine.begin() as conn:
            for start in range(0, len(emails), 500):
                conn.execute(delete(Customer).where(Customer.email.in_(emails[start : start + 500])))
        raise
    return loaded
