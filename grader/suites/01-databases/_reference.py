"""The reference bulk load, run by the suite in a trusted child process to time it:

    python _reference.py sqlite:////tmp/x/reference.db customers.csv   -> prints the seconds it took

The database holds the suite's own customers table (_helpers.reference_customers), never the
learner's. Core insert() executemany in batches, one transaction - what a good submission does too.
"""

import csv
import sys
import time
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import MetaData, create_engine, insert


def utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def load(url: str, path: str) -> float:
    engine = create_engine(url)
    metadata = MetaData()
    metadata.reflect(engine, only=["customers"])
    customers = metadata.tables["customers"]
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as f, engine.begin() as conn:
        rows = csv.DictReader(f)
        while batch := list(islice(rows, 10_000)):
            for row in batch:
                row["created_at"] = utc(row["created_at"])
            conn.execute(insert(customers), batch)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(load(sys.argv[1], sys.argv[2]))
