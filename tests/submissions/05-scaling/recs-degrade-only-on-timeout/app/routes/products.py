"""/products: every route counts against the caller's rate limit first."""

import asyncio
from typing import Annotated

import httpx
from app.deps import ForecastPoolDep, ProductCacheDep, RecommendationsDep, SettingsDep, rate_limit
from app.forecast import forecast
from app.schemas import Forecast, Product, ProductUpdate, Recommendations
from fastapi import APIRouter, Depends, Path, Query

router = APIRouter(prefix="/products", dependencies=[Depends(rate_limit)])
ProductId = Annotated[int, Path(ge=1)]


@router.get("/{product_id}")
async def read_product(product_id: ProductId, products: ProductCacheDep) -> Product:
    return await products.get(product_id)


@router.patch("/{product_id}")
async def update_product(product_id: ProductId, changes: ProductUpdate, products: ProductCacheDep) -> Product:
    return await products.update(product_id, changes)


@router.get("/{product_id}/recommendations")
async def recommendations(product_id: ProductId, service: RecommendationsDep) -> Recommendations:
    # I/O-bound: while this waits, the event loop serves everyone else.
    try:
        ids = await service.for_product(product_id)
    except httpx.TimeoutException:  # too slow: skip them
        return Recommendations(product_id=product_id, recommendations=[], degraded=True)
    return Recommendations(product_id=product_id, recommendations=ids, degraded=False)


@router.get("/{product_id}/forecast")
async def price_forecast(
    product_id: ProductId,
    products: ProductCacheDep,
    pool: ForecastPoolDep,
    settings: SettingsDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> Forecast:
    product = await products.get(product_id)
    # CPU-bound: run it in a worker process; the event loop stays free and both cores work.
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(pool, forecast, product.price_cents, days, settings.forecast_paths, product_id)
    return Forecast(product_id=product_id, days=days, **result)
