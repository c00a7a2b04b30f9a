"""Two tables: the payments, and the idempotency keys that guard their creation."""

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class IdempotencyKey(Base):
    """One row per (client, key): the request's fingerprint, its lock, and once done, its response."""

    __tablename__ = "idempotency_keys"
    # The heart of it: the database, not the code, guarantees one row per client and key. Two
    # concurrent first requests both try to INSERT; exactly one wins, the other gets an IntegrityError.

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The key we send the provider: made once, stored with the row, so every retry - even after a
    # crash and a restart - asks the provider about the same charge.
    downstream_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float, index=True)  # when the key was first used
    locked_at: Mapped[float | None] = mapped_column(Float, nullable=True)  # set while a request works on it
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # set once: the final answer
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_media_type: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    provider_charge_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
