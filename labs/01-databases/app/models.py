"""The shop's tables as SQLAlchemy 2.0 models.

TODO: the columns are here, the constraints are not (see README.md, 'The schema'). Add them:
- NOT NULL: write Mapped[str], not Mapped[str | None], for a required column;
- UNIQUE: customers.email, products.sku, and one line per (order_id, product_id) in order_items;
- CHECK: price_cents >= 0, stock >= 0, quantity > 0, unit_price_cents >= 0, and
  status IN ('pending', 'paid', 'shipped', 'cancelled');
- FOREIGN KEY: orders.customer_id, order_items.order_id, order_items.product_id;
- the index for a customer's order history (see README.md, 'Order history');
- names for every constraint (see README.md, 'The schema').
Then write the same schema as Alembic migrations in migrations/versions/.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ORDER_STATUSES = ("pending", "paid", "shipped", "cancelled")


class Base(DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    price_cents: Mapped[int | None]
    stock: Mapped[int | None]


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int | None]
    status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total_cents: Mapped[int | None]  # added by migration 0002


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None]
    product_id: Mapped[int | None]
    quantity: Mapped[int | None]
    unit_price_cents: Mapped[int | None]  # the price at order time

    # TODO: relationships (Order.items, OrderItem.product, ...) help the ORM load related rows.
