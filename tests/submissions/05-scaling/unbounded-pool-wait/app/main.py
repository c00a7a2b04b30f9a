"""The Duck Shop's catalogue API: products, recommendations and price forecasts, under load."""

from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from app.cache import ProductCache
from app.clients import Catalogue, ProductNotFound, Recommendations
from app.core.config import Settings, load_settings
from app.core.problems import Problem, install_problem_handlers, problem_response
from app.ratelimit import RateLimiter
from app.routes import products
from fastapi import FastAPI, Request
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def connect_redis(settings: Settings) -> Redis:
    # Bounded: one quick retry on a fresh connection, then the error - never seconds of backoff
    # while Redis is down (the defaults retry 10 times, up to a second apart).
    timeout = settings.redis_timeout_s
    return Redis.from_url(
        settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1)
    )


def catalogue_client(settings: Settings) -> httpx.AsyncClient:
    # The pool is the catalogue's protection: at most POOL_SIZE queries at once from this process;
    # a request that can't get a connection within POOL_TIMEOUT_SECONDS gets httpx.PoolTimeout (503).
    size = settings.pool_size
    return httpx.AsyncClient(
        base_url=settings.catalogue_url,
        limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
        timeout=httpx.Timeout(settings.catalogue_timeout_s, pool=None),  # wait for a connection as long as it takes
    )


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI):
        settings = load_settings()
        async with AsyncExitStack() as stack:
            redis = connect_redis(settings)
            stack.push_async_callback(redis.aclose)
            catalogue = await stack.enter_async_context(catalogue_client(settings))
            recommendations = await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=settings.recommendations_url,
                    timeout=settings.recommendations_timeout_s,
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
                )
            )
            # Processes, not threads: pure-Python CPU work holds the GIL, so threads would take
            # turns on one core (and slow the event loop down). Workers start on first use.
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=settings.forecast_workers))
            api.state.settings = settings
            api.state.products = ProductCache(redis, Catalogue(catalogue), settings)
            api.state.recommendations = Recommendations(recommendations)
            api.state.limiter = RateLimiter(redis, settings.rate_limit, settings.rate_window_s)
            api.state.forecast_pool = pool
            yield

    api = FastAPI(title="Duck Shop catalogue", lifespan=lifespan)
    install_problem_handlers(api)

    @api.exception_handler(ProductNotFound)
    async def on_not_found(request: Request, exc: ProductNotFound):
        return problem_response(Problem(404, "not-found", "No such product", f"product {exc}"))

    @api.exception_handler(httpx.PoolTimeout)
    async def on_pool_timeout(request: Request, exc: httpx.PoolTimeout):
        # Shed load: the catalogue is as busy as we let it be. Say when to come back.
        return problem_response(
            Problem(503, "overloaded", "Overloaded", "Too many requests wait for the catalogue.", {"Retry-After": "1"})
        )

    @api.exception_handler(httpx.HTTPError)
    async def on_catalogue_error(request: Request, exc: httpx.HTTPError):
        return problem_response(Problem(502, "catalogue-error", "The catalogue failed", type(exc).__name__))

    api.include_router(products.router)

    @api.get("/health")
    async def health():
        return {"status": "ok"}

    return api


app = create_app()
