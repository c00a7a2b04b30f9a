"""The Duck Shop's schema: SQLAlchemy Core tables on one MetaData.

Money is always an integer number of cents. Timestamps are UTC (``timestamptz`` on
PostgreSQL; on SQLite they are stored as ISO text and read back as naive UTC datetimes).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

ORDER_STATUSES = ("pending", "paid", "shipped", "cancelled")
PAYMENT_STATUSES = ("captured", "refunded", "failed")
PAYMENT_METHODS = ("card", "paypal", "bank_transfer")

# Named constraints give the same, predictable names on every database (and in error messages).
metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("city", String(100), nullable=False),
    Column("country", String(2), nullable=False, comment="ISO 3166-1 alpha-2 code"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("email LIKE '%_@_%'", name="email_has_at"),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(20), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("category", String(30), nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
    CheckConstraint("price_cents >= 0", name="price_not_negative"),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("total_cents", Integer, nullable=False, comment="sum of quantity * unit_price_cents"),
    CheckConstraint(_one_of("status", ORDER_STATUSES), name="status_known"),
    CheckConstraint("total_cents >= 0", name="total_not_negative"),
    Index(None, "customer_id", "created_at"),  # "my orders, newest first"
    Index(None, "created_at"),  # reports by day / month
)

order_items = Table(
    "order_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", Integer, nullable=False, comment="product price at order time"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
    # One line per product in an order. Its index, led by order_id, also serves
    # "the items of order N" - a separate index on order_id would be redundant.
    UniqueConstraint("order_id", "product_id"),
    Index(None, "product_id"),  # sales per product
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("method", String(16), nullable=False),
    Column("amount_cents", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(_one_of("status", PAYMENT_STATUSES), name="status_known"),
    CheckConstraint(_one_of("method", PAYMENT_METHODS), name="method_known"),
    CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
)

TABLES = (products, customers, orders, order_items, payments)  # parents before children
