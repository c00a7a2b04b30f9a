"""shopdata: the Duck Shop's data - a small online shop that sells rubber ducks.

    >>> import shopdata
    >>> engine = shopdata.default_engine()      # SQLite with the committed dataset
    >>> shopdata.load("sqlite:///big.db", orders=1_000_000, seed=7)   # or make your own

Same seed and size, same data: every number a lesson prints is reproducible.
"""

from ._catalogue import CATALOGUE, PRICE_CHANGE_AT
from ._csv import DATA_DIR, export_csv, read_csv
from ._generate import DEFAULT_ORDERS, DEFAULT_SEED, END, START, generate
from ._load import default_engine, load, load_csv, sqlite_copy, sqlite_engine
from .schema import (
    ORDER_STATUSES,
    PAYMENT_METHODS,
    PAYMENT_STATUSES,
    customers,
    metadata,
    order_items,
    orders,
    payments,
    products,
)

__all__ = [  # noqa: RUF022 - grouped by use, not sorted
    # the committed dataset, offline
    "default_engine",
    "sqlite_copy",
    "DATA_DIR",
    "DEFAULT_SEED",
    "DEFAULT_ORDERS",
    # generating and loading any size
    "generate",
    "load",
    "load_csv",
    "export_csv",
    "read_csv",
    "sqlite_engine",
    # the schema
    "metadata",
    "customers",
    "products",
    "orders",
    "order_items",
    "payments",
    "ORDER_STATUSES",
    "PAYMENT_STATUSES",
    "PAYMENT_METHODS",
    # the story's fixed facts
    "CATALOGUE",
    "PRICE_CHANGE_AT",
    "START",
    "END",
]
