"""The Duck Shop's HTTP API: products, customers, orders."""

from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app import errors
from app.core.config import get_settings
from app.db import get_engine, init_db
from app.routes import customers, orders, products


@asynccontextmanager
async def lifespan(_app: FastAPI):
    init_db(get_engine(get_settings().database_url))  # tables and the catalogue, on first start
    yield


class BodySizeLimit:
    """413 for a request body over `limit` bytes, before more of it is read into memory.

    The 413 is raised where the handler reads the body, so the app's exception handlers turn it
    into a problem like any other error. (FastAPI's own max_body_size answers in plain text.)
    """

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        received = 0

        async def receive_at_most():
            nonlocal received
            if declared.isdigit() and int(declared) > self.limit:
                raise HTTPException(413, f"The body is over {self.limit} bytes.")
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:  # chunked bodies declare no length: count them
                raise HTTPException(413, f"The body is over {self.limit} bytes.")
            return message

        await self.app(scope, receive_at_most, send)


def create_app() -> FastAPI:
    app = FastAPI(title="Duck Shop API", version="2.0.0", lifespan=lifespan)
    app.add_middleware(BodySizeLimit, limit=get_settings().max_body_bytes)
    errors.install(app)
    app.include_router(products.router)
    app.include_router(customers.router)
    app.include_router(orders.router)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


app = create_app()
