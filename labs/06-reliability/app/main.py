"""The Duck Shop's checkout: orders priced with a live shipping rate - or a fallback one, fast,
when the shipping service is slow, failing or down."""

import logging
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app import db
from app.core.config import load_settings
from app.observability import ObservabilityMiddleware, configure_logging
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
        async with httpx.AsyncClient() as http:
            api.state.settings = settings
            api.state.shipping = ShippingClient(settings, http)
            log.info("checkout started")
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
        raise NotImplementedError("TODO: liveness - README, 'Health' (R16)")

    @api.get("/health/ready")
    async def ready(request: Request):
        raise NotImplementedError("TODO: readiness, with db.ping - README, 'Health' (R16)")

    @api.get("/metrics")
    async def metrics(request: Request):
        raise NotImplementedError("TODO: Prometheus metrics - README, 'Metrics' (R14, R15)")

    return api


app = create_app()
