"""The Duck Shop's HTTP API: products, customers, orders."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import errors
from app.core.config import get_settings
from app.db import get_engine, init_db
from app.routes import customers, orders, products


@asynccontextmanager
async def lifespan(_app: FastAPI):
    init_db(get_engine(get_settings().database_url))  # tables and the catalogue, on first start
    yield


def create_app() -> FastAPI:
    app = FastAPI(title="Duck Shop API", version="2.0.0", lifespan=lifespan)
    errors.install(app)
    app.include_router(products.router)
    app.include_router(customers.router)
    app.include_router(orders.router)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
