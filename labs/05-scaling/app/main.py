"""The Duck Shop's catalogue API: products, recommendations and price forecasts, under load."""

from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from redis.asyncio import Redis

from app.cache import ProductCache
from app.clients import BlockingCatalogue, BlockingRecommendations, ProductNotFound
from app.core.config import Settings, load_settings
from app.core.problems import Problem, install_problem_handlers, problem_response
from app.ratelimit import RateLimiter
from app.routes import products


def connect_redis(settings: Settings) -> Redis:
    # TODO: bound every Redis call by settings.redis_timeout_s, retries included (README, 'When Redis is down').
    return Redis.from_url(settings.redis_url)


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(api: FastAPI):
        settings = load_settings()
        async with AsyncExitStack() as stack:
            redis = connect_redis(settings)
            stack.push_async_callback(redis.aclose)
            # TODO: the catalogue's connection pool: POOL_SIZE connections, POOL_TIMEOUT_SECONDS to get one.
            catalogue = stack.enter_context(httpx.Client(base_url=settings.catalogue_url, timeout=None))
            recommendations = stack.enter_context(httpx.Client(base_url=settings.recommendations_url, timeout=None))
            api.state.settings = settings
            api.state.products = ProductCache(redis, BlockingCatalogue(catalogue), settings)
            api.state.recommendations = BlockingRecommendations(recommendations)
            api.state.limiter = RateLimiter(redis, settings.rate_limit, settings.rate_window_s)
            api.state.forecast_pool = None  # TODO: worker processes for forecasts (README, 'Concurrency')
            yield

    api = FastAPI(title="Duck Shop catalogue", lifespan=lifespan)
    install_problem_handlers(api)

    @api.exception_handler(ProductNotFound)
    async def on_not_found(request: Request, exc: ProductNotFound):
        return problem_response(Problem(404, "not-found", "No such product", f"product {exc}"))

    # TODO: no connection to the catalogue in time (httpx.PoolTimeout): shed the request with a 503.

    api.include_router(products.router)

    @api.get("/health")
    async def health():
        return {"status": "ok"}

    return api


app = create_app()
