"""The Duck Shop's payments API: POST /payments, safe to retry with an Idempotency-Key."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.core.config import load_settings
from app.core.problems import install_problem_handlers
from app.db import create_db_engine
from app.routes import payments


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI):
        api.state.settings = load_settings()
        api.state.engine = create_db_engine(api.state.settings.database_url)
        yield
        api.state.engine.dispose()

    api = FastAPI(title="Duck Shop payments", lifespan=lifespan)
    install_problem_handlers(api)
    api.include_router(payments.router)

    @api.get("/health")
    def health():
        return {"status": "ok"}

    return api


app = create_app()
