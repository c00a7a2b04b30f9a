"""POST /orders, GET /orders (your own, newest first), GET /orders/{id} (yours only)."""

from typing import Annotated

from app import crud
from app.deps import CurrentCustomer, SessionDep, SettingsDep, json_body
from app.models import Product
from app.pagination import decode_cursor, encode_cursor, next_link
from app.schemas import MAX_ID, OrderCreate, OrderOut, OrderPage
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError

router = APIRouter(prefix="/orders", tags=["orders"], dependencies=[Depends(json_body)])
SCOPE = "orders:-id"  # the only order of this list: newest first
AUTH_ERRORS = {401: {"description": "Not logged in"}}


@router.post("", status_code=201, responses={**AUTH_ERRORS, 422: {"description": "Invalid order"}})
def create_order(body: OrderCreate, response: Response, session: SessionDep, me: CurrentCustomer) -> OrderOut:
    lines, errors = [], []
    for index, line in enumerate(body.items):
        product = session.get(Product, line.product_id)
        if product is None:  # reported like any validation error, pointing at the field
            errors.append({"loc": ("body", "items", index, "product_id"), "msg": "No such product", "type": "missing"})
        lines.append((product, line.quantity))
    if errors:
        raise RequestValidationError(errors)
    order = crud.create_order(session, me.id, lines)
    response.headers["Location"] = f"/orders/{order.id}"
    return order


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
    limit = min(limit, settings.page_size_max)
    after = decode_cursor(cursor, SCOPE, 2, settings.cursor_key) if cursor else None
    orders, last_key = crud.list_orders(session, me.id, after, limit)
    next_cursor = encode_cursor(SCOPE, last_key, settings.cursor_key) if last_key else None
    if next_cursor:
        response.headers["Link"] = next_link(request, next_cursor)
    return OrderPage(items=orders, next_cursor=next_cursor)


@router.get("/{order_id}", responses={**AUTH_ERRORS, 404: {"description": "Not found"}})
def read_order(order_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, me: CurrentCustomer) -> OrderOut:
    order = crud.get_order(session, order_id, me.id)
    if order is None:
        # 404, not 403: a 403 would confirm that order exists (and someone else placed it).
        raise HTTPException(404, f"You have no order {order_id}.")
    return order
