"""/products: every route counts against the caller's rate limit first."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from app.deps import ForecastPoolDep, ProductCacheDep, RecommendationsDep, SettingsDep, rate_limit
from app.forecast import forecast
from app.schemas import Forecast, Product, ProductUpdate, Recommendations

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
    # TODO: don't block the event loop while waiting; give up after RECOMMENDATIONS_TIMEOUT_SECONDS ("degraded").
    ids = service.for_product(product_id)
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
    # TODO: CPU-bound - run it in worker processes (README, 'Concurrency').
    result = forecast(product.price_cents, days, settings.forecast_paths, product_id)
    return Forecast(product_id=product_id, days=days, **result)
