"""What the checkout accepts and answers (provided)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    price_cents: int = Field(gt=0, le=1_000_000)
    quantity: int = Field(ge=1, le=100)


class CheckoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    postcode: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9 ]+$")
    items: list[Line] = Field(min_length=1, max_length=50)


class Order(BaseModel):
    order_id: int
    postcode: str
    subtotal_cents: int
    shipping_cents: int
    total_cents: int
    shipping_source: Literal["live", "fallback"]  # "fallback": the live rate could not be had

    @classmethod
    def from_row(cls, row: dict) -> "Order":
        return cls(
            order_id=row["id"],
            postcode=row["postcode"],
            subtotal_cents=row["subtotal_cents"],
            shipping_cents=row["shipping_cents"],
            total_cents=row["subtotal_cents"] + row["shipping_cents"],
            shipping_source=row["shipping_source"],
        )
