"""GET /products (filter, sort, paginate), GET /products/{id} (ETag), PATCH /products/{id} (If-Match)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response

from app import crud
from app.conditional import etag_of, match, none_match
from app.deps import CurrentAdmin, SessionDep, SettingsDep, json_body
from app.models import Product
from app.pagination import decode_cursor, encode_cursor, next_link
from app.schemas import MAX_ID, MAX_PRICE_CENTS, ProductOut, ProductPage, ProductSort, ProductUpdate

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
    # TODO: clamp limit to settings.page_size_max; decode the cursor (if any) for the scope
    #       f"products:{sort}" with settings.cursor_key; crud.list_products; encode the next cursor
    #       and send it in the body and as a Link header (README, R12-R19).
    raise NotImplementedError("TODO: GET /products in app/routes/products.py (see README.md)")


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
    # TODO: 404 if missing (_product_or_404); the ETag header; 304 with no body and the ETag
    #       when If-None-Match matches (README, R20-R21).
    raise NotImplementedError("TODO: GET /products/{id} in app/routes/products.py (see README.md)")


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
    # TODO: 404, then 428 without If-Match, 412 if it doesn't match; only the values that differ
    #       (body.model_dump(exclude_unset=True)) - none: answer as is, same ETag; else a
    #       compare-and-set update (crud.update_product; 412 if it returns None); answer the product
    #       with its new ETag (README, R23-R26).
    raise NotImplementedError("TODO: PATCH /products/{id} in app/routes/products.py (see README.md)")
