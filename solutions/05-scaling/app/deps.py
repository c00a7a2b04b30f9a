"""Dependencies, as Annotated aliases: `async def handler(cache: ProductCacheDep)`."""

from concurrent.futures import Executor
from typing import Annotated

from fastapi import Depends, Header, Request, Response

from app.cache import ProductCache
from app.clients import Recommendations
from app.core.config import Settings
from app.core.problems import Problem
from app.ratelimit import RateLimiter


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_product_cache(request: Request) -> ProductCache:
    return request.app.state.products


def get_recommendations(request: Request) -> Recommendations:
    return request.app.state.recommendations


def get_forecast_pool(request: Request) -> Executor:
    return request.app.state.forecast_pool


def get_rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
ProductCacheDep = Annotated[ProductCache, Depends(get_product_cache)]
RecommendationsDep = Annotated[Recommendations, Depends(get_recommendations)]
ForecastPoolDep = Annotated[Executor, Depends(get_forecast_pool)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


async def rate_limit(
    response: Response, limiter: RateLimiterDep, x_api_key: Annotated[str | None, Header()] = None
) -> None:
    """Count the request against its API key (no key: the shared "anonymous" client); 429 when over."""
    decision = await limiter.hit(x_api_key or "anonymous")
    if decision is None:  # Redis is down: fail open, without headers we couldn't back up
        return
    if not decision.allowed:
        raise Problem(
            429,
            "rate-limited",
            "Too many requests",
            f"At most {decision.limit} requests in {decision.window_s} s per API key.",
            decision.headers(),
        )
    response.headers.update(decision.headers())
