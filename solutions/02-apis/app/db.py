"""Engine, tables and seed data (provided). No engine at import time: it is made on first use."""

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.models import Base, Product
from app.seed import CATALOGUE


@lru_cache
def get_engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url)
    # check_same_thread: FastAPI runs sync handlers in a thread pool; timeout: wait for the writer.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

    @event.listens_for(engine, "connect")
    def _foreign_keys_on(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


def init_db(engine: Engine) -> None:
    """Create the tables and, on an empty database, the catalogue."""
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(Product)) == 0:
            session.add_all(
                Product(sku=sku, name=name, category=category, price_cents=price, stock=stock)
                for sku, name, category, price, stock in CATALOGUE
            )
            session.commit()


def get_session() -> Iterator[Session]:
    """One session per request (a FastAPI dependency)."""
    with Session(get_engine(get_settings().database_url)) as session:
        yield session
