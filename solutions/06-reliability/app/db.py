"""The orders, in SQLite (provided). A connection per call: cheap for SQLite, and it means every
call really reaches the file - which is what a readiness check must do."""

import sqlite3
from contextlib import closing

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    postcode TEXT NOT NULL,
    subtotal_cents INTEGER NOT NULL,
    shipping_cents INTEGER NOT NULL,
    shipping_source TEXT NOT NULL
)
"""
COLUMNS = ("id", "postcode", "subtotal_cents", "shipping_cents", "shipping_source")


def connect(path: str) -> sqlite3.Connection:
    """A connection to an existing database file (sqlite3.OperationalError if it can't be opened)."""
    return sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=2)


def create(path: str) -> None:
    """Create the database file and its table (at start-up)."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(SCHEMA)


def ping(path: str) -> None:
    """A real query on a fresh connection: raises sqlite3.Error when the database is unreachable."""
    with closing(connect(path)) as conn:
        conn.execute("SELECT 1 FROM orders LIMIT 1").fetchall()


def save_order(path: str, postcode: str, subtotal_cents: int, shipping_cents: int, source: str) -> dict:
    with closing(connect(path)) as conn, conn:
        cursor = conn.execute(
            "INSERT INTO orders (postcode, subtotal_cents, shipping_cents, shipping_source) VALUES (?, ?, ?, ?)",
            (postcode, subtotal_cents, shipping_cents, source),
        )
        order_id = cursor.lastrowid
    return {
        "id": order_id,
        "postcode": postcode,
        "subtotal_cents": subtotal_cents,
        "shipping_cents": shipping_cents,
        "shipping_source": source,
    }


def get_order(path: str, order_id: int) -> dict | None:
    with closing(connect(path)) as conn:
        row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM orders WHERE id = ?", (order_id,)).fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None
