"""The Duck Shop's first service: a health check and price quotes."""

from typing import Annotated

from app.catalogue import PRICES_CENTS
from app.pricing import quote_total
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

app = FastAPI(title="Duck Shop")


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Broken JSON is malformed syntax: 400 (RFC 9110). 422 is for well-formed content that breaks
    # the rules - FastAPI's default answers 422 for both.
    if any(error["type"] == "json_invalid" for error in exc.errors()):
        return JSONResponse({"detail": "the body is not valid JSON"}, status_code=400)
    return JSONResponse({"detail": exc.errors()}, status_code=422)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok", "padding": "x" * (20 * 1024 * 1024)}  # a 20 MB body


class QuoteRequest(BaseModel):
    # Validation happens here, before our code runs: FastAPI answers 422 for anything else.
    # strict: "3" is not a quantity, and neither is 2.5 or true.
    sku: Annotated[str, Field(min_length=1, max_length=32)]
    quantity: Annotated[int, Field(strict=True, ge=1, le=1000)]


class Quote(BaseModel):
    sku: str
    quantity: int
    unit_price_cents: int
    total_cents: int


@app.post("/quotes")
def create_quote(request: QuoteRequest) -> Quote:
    unit_price = PRICES_CENTS.get(request.sku)
    if unit_price is None:
        raise HTTPException(status_code=404, detail=f"unknown sku {request.sku!r}")
    return Quote(
        sku=request.sku,
        quantity=request.quantity,
        unit_price_cents=unit_price,
        total_cents=quote_total(unit_price, request.quantity),
    )
