"""The Duck Shop's checkout: orders priced with a live shipping rate - or a fallback one, fast,
when the shipping service is slow, failing or down."""

import logging
import sqlite3
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app import db
from app.core.config import load_settings
from app.observability import BREAKER_STATE, ObservabilityMiddleware, configure_logging
from app.schemas import CheckoutRequest, Order
from app.shipping import ShippingClient, ShippingRefused

log = logging.getLogger("app")


def problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status, media_type="application/problem+json")


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI):
        configure_logging()
        settings = load_settings()
        db.create(settings.database_path)
        # No timeout here on purpose: every call sets its own (app/shipping.py).
        async with httpx.AsyncClient() as http:
            api.state.settings = settings
            api.state.shipping = ShippingClient(settings, http)
            log.info("checkout started", extra={"shipping_url": settings.shipping_url})
            yield

    api = FastAPI(title="Duck Shop checkout", lifespan=lifespan)
    api.add_middleware(ObservabilityMiddleware)

    @api.exception_handler(NotImplementedError)
    async def not_implemented(request: Request, exc: NotImplementedError):
        return problem(501, "Not implemented yet", str(exc))

    @api.post("/checkout", status_code=201)
    async def checkout(order: CheckoutRequest, request: Request) -> Order:
        state = request.app.state
        subtotal = sum(line.price_cents * line.quantity for line in order.items)
        items = sum(line.quantity for line in order.items)
        try:
            rate = await state.shipping.rate(order.postcode, items)
        except ShippingRefused as exc:
            return problem(422, "No shipping to this postcode", exc.title)  # type: ignore[return-value]
        row = db.save_order(state.settings.database_path, order.postcode, subtotal, rate.cents, rate.source)
        return Order.from_row(row)

    @api.get("/orders/{order_id}")
    async def get_order(order_id: int, request: Request) -> Order:
        row = db.get_order(request.app.state.settings.database_path, order_id)
        if row is None:
            return problem(404, "No such order", f"order {order_id}")  # type: ignore[return-value]
        return Order.from_row(row)

    @api.get("/health/live")
    async def live():
        # Liveness: is this process able to answer at all? Never ask a dependency here - a database
        # that is down would get every process restarted, which fixes nothing.
        return {"status": "ok"}

    @api.get("/health/ready")
    async def ready(request: Request):
        # Readiness: should traffic come here? Not without the database.
        try:
            db.ping(request.app.state.settings.database_path)
        except sqlite3.Error as exc:
            return problem(503, "Not ready", f"the database is unreachable: {exc}")
        return {"status": "ready"}

    @api.get("/metrics")
    async def metrics(request: Request):
        BREAKER_STATE.set(request.app.state.shipping.breaker.state)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return api


app = create_app()
