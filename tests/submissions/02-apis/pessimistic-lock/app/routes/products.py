"""GET /products (filter, sort, paginate), GET /products/{id} (ETag), PATCH /products/{id} (If-Match)."""

from typing import Annotated

from app import crud
from app.conditional import etag_of, match, none_match
from app.deps import CurrentAdmin, SessionDep, SettingsDep, json_body
from app.models import Product
from app.pagination import decode_cursor, encode_cursor, next_link
from app.schemas import MAX_ID, MAX_PRICE_CENTS, ProductOut, ProductPage, ProductSort, ProductUpdate
from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response

router = APIRouter(prefix="/products", tags=["products"], dependencies=[Depends(json_body)])
ProductId = Annotated[int, Path(ge=1, le=MAX_ID)]
PriceFilter = Annotated[int | None, Query(ge=0, le=MAX_PRICE_CENTS)]


@router.get("", responses={400: {"description": "Invalid cursor"}})
def list_products(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    category: Annotated[str | None, Query(max_length=50)] = None,
    min_price: PriceFilter = None,
    max_price: PriceFilter = None,
    sort: ProductSort = "id",
    limit: Annotated[int, Query(ge=1)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> ProductPage:
    limit = min(limit, settings.page_size_max)  # clamp: nobody gets a million rows in one page
    columns, _ = crud.product_sort_columns(sort)
    scope = f"products:{sort}"  # a cursor is for one list and one sort order
    after = decode_cursor(cursor, scope, len(columns), settings.cursor_key) if cursor else None
    items, last_key = crud.list_products(
        session, category=category, min_price=min_price, max_price=max_price, sort=sort, after=after, limit=limit
    )
    next_cursor = encode_cursor(scope, last_key, settings.cursor_key) if last_key else None
    if next_cursor:
        response.headers["Link"] = next_link(request, next_cursor)
    return ProductPage(items=items, next_cursor=next_cursor)


def _product_or_404(session: SessionDep, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise HTTPException(404, f"There is no product {product_id}.")
    return product


@router.get("/{product_id}", responses={304: {"description": "Not modified"}, 404: {"description": "Not found"}})
def read_product(
    product_id: ProductId,
    response: Response,
    session: SessionDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> ProductOut:
    product = _product_or_404(session, product_id)
    etag = etag_of(product)
    if if_none_match is not None and none_match(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})  # the client's copy is current: no body
    response.headers["ETag"] = etag
    return product


@router.patch(
    "/{product_id}",
    responses={
        401: {"description": "Not logged in"},
        403: {"description": "Not staff"},
        404: {"description": "Not found"},
        412: {"description": "The product changed since you read it"},
        428: {"description": "If-Match is required"},
    },
)
def update_product(
    product_id: ProductId,
    body: ProductUpdate,
    response: Response,
    session: SessionDep,
    _admin: CurrentAdmin,
    if_match: Annotated[str | None, Header()] = None,
) -> ProductOut:
    product = _product_or_404(session, product_id)
    if if_match is None:
        # RFC 6585: without a precondition, two editors silently overwrite each other (lost update).
        raise HTTPException(428, "Send If-Match with the ETag of the version you are changing.")
    if not match(if_match, etag_of(product)):
        raise HTTPException(412, "The product changed since you read it: GET it again, then retry.")
    session.connection().exec_driver_sql("BEGIN IMMEDIATE")  # one editor at a time from here
    session.refresh(product)
    if not match(if_match, etag_of(product)):
        session.rollback()
        raise HTTPException(412, "The product changed since you read it: GET it again, then retry.")
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if getattr(product, k) != v}
    if changes:
        for field, value in changes.items():
            setattr(product, field, value)
        product.version += 1
    session.commit()
    response.headers["ETag"] = etag_of(product)
    return product
