"""The Duck Shop's catalogue API: products, recommendations and price forecasts, under load."""

import asyncio
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from app.cache import ProductCache
from app.clients import Catalogue, ProductNotFound, Recommendations
from app.core.config import Settings, load_settings
from app.core.problems import Problem, install_problem_handlers, problem_response
from app.ratelimit import RateLimiter
from app.routes import products
from app.schemas import Product, ProductUpdate
from fastapi import FastAPI, Request
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


class BoundedCatalogue:
    """At most POOL_SIZE queries at once (a semaphore); waiting longer than POOL_TIMEOUT_SECONDS is a 503."""

    def __init__(self, catalogue: Catalogue, settings: Settings):
        self.catalogue, self.timeout_s = catalogue, settings.pool_timeout_s
        self.slots = asyncio.Semaphore(settings.pool_size)

    async def _slot(self) -> None:
        try:
            await asyncio.wait_for(self.slots.acquire(), self.timeout_s)
        except TimeoutError:
            raise Problem(503, "overloaded", "Overloaded", "The catalogue is busy.", {"Retry-After": "1"}) from None

    async def product(self, product_id: int) -> Product:
        await self._slot()
        try:
            return await self.catalogue.product(product_id)
        finally:
            self.slots.release()

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        await self._slot()
        try:
            return await self.catalogue.update(product_id, changes)
        finally:
            self.slots.release()


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI):
        settings = load_settings()
        async with AsyncExitStack() as stack:
            t = settings.redis_timeout_s
            redis = Redis.from_url(
                settings.redis_url, socket_timeout=t, socket_connect_timeout=t, retry=Retry(NoBackoff(), 1)
            )
            stack.push_async_callback(redis.aclose)
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=settings.catalogue_url,
                    timeout=settings.catalogue_timeout_s,
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=settings.pool_size),
                )
            )
            recommendations = await stack.enter_async_context(
                httpx.AsyncClient(base_url=settings.recommendations_url, timeout=settings.recommendations_timeout_s)
            )
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=settings.forecast_workers))
            api.state.settings = settings
            api.state.products = ProductCache(redis, BoundedCatalogue(Catalogue(http), settings), settings)
            api.state.recommendations = Recommendations(recommendations)
            api.state.limiter = RateLimiter(redis, settings.rate_limit, settings.rate_window_s)
            api.state.forecast_pool = pool
            yield

    api = FastAPI(title="Duck Shop catalogue", lifespan=lifespan)
    install_problem_handlers(api)

    @api.exception_handler(ProductNotFound)
    async def on_not_found(request: Request, exc: ProductNotFound):
        return problem_response(Problem(404, "not-found", "No such product", f"product {exc}"))

    @api.exception_handler(httpx.HTTPError)
    async def on_catalogue_error(request: Request, exc: httpx.HTTPError):
        return problem_response(Problem(502, "catalogue-error", "The catalogue failed", type(exc).__name__))

    api.include_router(products.router)

    @api.get("/health")
    async def health():
        return {"status": "ok"}

    return api


app = create_app()
