"""What goes over the wire. Input models list exactly what a client may set; nothing else gets in.

Inputs are strict (the JSON integer 3, not "3", 3.0 or true) and bounded: a client can't make
us store an absurd price or ask for a billion rows.
"""

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger id is a 422, not an OverflowError
MAX_PRICE_CENTS = 10_000_000

Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Cents = Annotated[int, Field(strict=True, ge=0, le=MAX_PRICE_CENTS)]
# SQLite gives back naive datetimes; they are UTC, say so (RFC 3339 wants an offset).
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))]
ProductSort = Literal["id", "-id", "price_cents", "-price_cents"]  # an allow-list, never raw SQL


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sku: str
    name: str
    category: str
    price_cents: int
    stock: int


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None


class ProductUpdate(BaseModel):
    """PATCH: only the fields sent change. Unknown fields (id, sku, version...) are a 422."""

    model_config = ConfigDict(extra="forbid")
    # A field that is absent stays unchanged; null is not a name, a price or a stock (422).
    name: Annotated[str, Field(min_length=1, max_length=100)] = None
    price_cents: Cents = None
    stock: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = None


class CustomerCreate(BaseModel):
    # Extra fields such as "role" are ignored: clients don't choose their own privileges.
    email: Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    password: Annotated[str, Field(min_length=8, max_length=128)]
    name: Annotated[str, Field(min_length=1, max_length=100)]


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str


class Credentials(BaseModel):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=128)]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class OrderLineIn(BaseModel):
    # No price here: the server reads it from the catalogue (extra fields are ignored).
    product_id: Id
    quantity: Annotated[int, Field(strict=True, ge=1, le=100)]
    unit_price_cents: int | None = None  # wrong on purpose: "the shop front already knows the price"


class OrderCreate(BaseModel):
    items: Annotated[list[OrderLineIn], Field(min_length=1, max_length=20)]


class OrderLine(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    product_id: int
    quantity: int
    unit_price_cents: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int
    status: str
    total_cents: int
    created_at: UtcDatetime
    items: list[OrderLine]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None
