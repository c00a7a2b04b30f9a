"""The request body of POST /payments. Invalid bodies are answered 422 before any key is stored."""

from pydantic import BaseModel, ConfigDict, Field


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=64)
    amount_cents: int = Field(strict=True, ge=1, le=1_000_000)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    card: str = Field(min_length=1, max_length=64)
