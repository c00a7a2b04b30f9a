"""POST /orders, GET /orders (your own, newest first), GET /orders/{id} (yours only)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from app import crud
from app.deps import CurrentCustomer, SessionDep, SettingsDep, json_body
from app.models import Product
from app.pagination import decode_cursor, encode_cursor, next_link
from app.schemas import MAX_ID, OrderCreate, OrderOut, OrderPage

router = APIRouter(prefix="/orders", tags=["orders"], dependencies=[Depends(json_body)])
SCOPE = "orders:-id"  # the only order of this list: newest first
AUTH_ERRORS = {401: {"description": "Not logged in"}}


@router.post("", status_code=201, responses={**AUTH_ERRORS, 422: {"description": "Invalid order"}})
def create_order(body: OrderCreate, response: Response, session: SessionDep, me: CurrentCustomer) -> OrderOut:
    # TODO: 422 (pointing at #/items/<i>/product_id: raise RequestValidationError with that loc)
    #       for products that don't exist; prices from the catalogue (crud.create_order); 201 with
    #       a Location header (README, R34).
    raise NotImplementedError("TODO: POST /orders in app/routes/orders.py (see README.md)")


@router.get("", responses={**AUTH_ERRORS, 400: {"description": "Invalid cursor"}})
def list_orders(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    me: CurrentCustomer,
    limit: Annotated[int, Query(ge=1)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> OrderPage:
    # TODO: like GET /products, with the scope SCOPE and crud.list_orders (README, R37).
    raise NotImplementedError("TODO: GET /orders in app/routes/orders.py (see README.md)")


@router.get("/{order_id}", responses={**AUTH_ERRORS, 404: {"description": "Not found"}})
def read_order(order_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, me: CurrentCustomer) -> OrderOut:
    # TODO: the caller's order, or 404 - the same 404 as for an order that doesn't exist (README, R38).
    raise NotImplementedError("TODO: GET /orders/{id} in app/routes/orders.py (see README.md)")
