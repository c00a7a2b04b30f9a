"""The tables. `jobs` is the queue; `orders`, `sent_mails` and `pings` belong to the shop."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    # queued -> running -> done, or back to queued (retry), or dead (dead letter)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # how many times it was claimed
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_at: Mapped[float] = mapped_column(Float)  # Unix time: not before
    locked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    locked_until: Mapped[float | None] = mapped_column(Float, nullable=True)  # the lease
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)

    __table_args__ = (Index("ix_jobs_status_run_at", "status", "run_at"),)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    total_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)


class SentMail(Base):
    """One row per order whose confirmation went out: the handler's idempotency record."""

    __tablename__ = "sent_mails"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[float] = mapped_column(Float)


class Ping(Base):
    """What the `ping` handler writes on each run: the tests' evidence of who ran what, when."""

    __tablename__ = "pings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(Integer)
    worker_id: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float] = mapped_column(Float)
