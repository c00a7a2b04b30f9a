"""Dependencies, as Annotated aliases: `async def handler(cache: ProductCacheDep)`."""

from concurrent.futures import Executor
from typing import Annotated

from fastapi import Depends, Header, Request, Response

from app.cache import ProductCache
from app.clients import BlockingRecommendations
from app.core.config import Settings
from app.core.problems import Problem  # noqa: F401  (a 429 is a problem too)
from app.ratelimit import RateLimiter


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_product_cache(request: Request) -> ProductCache:
    return request.app.state.products


def get_recommendations(request: Request) -> BlockingRecommendations:
    return request.app.state.recommendations


def get_forecast_pool(request: Request) -> Executor | None:
    return request.app.state.forecast_pool


def get_rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
ProductCacheDep = Annotated[ProductCache, Depends(get_product_cache)]
RecommendationsDep = Annotated[BlockingRecommendations, Depends(get_recommendations)]
ForecastPoolDep = Annotated[Executor | None, Depends(get_forecast_pool)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


async def rate_limit(
    response: Response, limiter: RateLimiterDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """Count the request against its API key (no key: the shared "anonymous" client); 429 when over."""
    decision = await limiter.hit(x_api_key or "anonymous")
    if decision is None:  # Redis is down (README, 'When Redis is down')
        return
    # TODO: refused (not decision.allowed): a 429 problem with decision.headers(); allowed: the headers too.
