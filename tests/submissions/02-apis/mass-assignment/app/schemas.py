"""What goes over the wire. Input models list exactly what a client may set; nothing else gets in.

Inputs are strict (the JSON integer 3, not "3", 3.0 or true), bounded (a client can't make us
store an absurd price or ask for a billion rows) and closed: a field a model doesn't list is a
422 (extra="forbid"), never silently dropped - a typo such as {"price": 5} must not answer 200.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# The range of an `integer` column in PostgreSQL (SQLite's is wider): a bigger id is a 422 on
# any database, never an OverflowError or a DataError (a 500).
MAX_ID = 2**31 - 1
MAX_PRICE_CENTS = 10_000_000

Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
Cents = Annotated[int, Field(strict=True, ge=0, le=MAX_PRICE_CENTS)]
# SQLite gives back naive datetimes; they are UTC, say so (RFC 3339 wants an offset).
UtcDatetime = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo else d.replace(tzinfo=UTC))]
ProductSort = Literal["id", "-id", "price_cents", "-price_cents"]  # an allow-list, never raw SQL


class Input(BaseModel):
    """Every request body: a field it doesn't list is a 422 pointing at that field."""

    model_config = ConfigDict(extra="forbid")


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


class ProductUpdate(Input):
    """PATCH: only the fields sent change. Unknown fields (id, sku, version...) are a 422."""

    # A field that is absent stays unchanged; null is not a name, a price or a stock (422).
    name: Annotated[str, Field(min_length=1, max_length=100)] = None
    price_cents: Cents = None
    stock: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = None


class CustomerCreate(Input):
    # No role here: clients don't choose their own privileges ({"role": "admin"} is a 422).
    email: Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    password: Annotated[str, Field(min_length=8, max_length=128)]
    name: Annotated[str, Field(min_length=1, max_length=100)]


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    email: str
    name: str
    role: str


class Credentials(Input):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=128)]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class OrderLineIn(Input):
    # No price here: the server reads it from the catalogue.
    product_id: Id
    quantity: Annotated[int, Field(strict=True, ge=1, le=100)]
    unit_price_cents: Cents | None = None  # the price the shop front showed


class OrderCreate(Input):
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
