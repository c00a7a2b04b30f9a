"""What the API sends and accepts."""

from pydantic import BaseModel, ConfigDict, Field


class Product(BaseModel):
    """A product as the catalogue has it. ``version`` grows by one with every write."""

    id: int
    sku: str
    name: str
    category: str
    price_cents: int
    stock: int
    version: int


class ProductUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    price_cents: int | None = Field(None, gt=0, le=10_000_000)
    stock: int | None = Field(None, ge=0, le=1_000_000)


class Recommendations(BaseModel):
    product_id: int
    recommendations: list[int]
    degraded: bool  # True: the recommendations service did not answer in time, so there are none


class Forecast(BaseModel):
    """Where the price may be in ``days`` days: the 5th, 50th and 95th percentile of simulated prices."""

    product_id: int
    days: int
    p5_cents: int
    p50_cents: int
    p95_cents: int
