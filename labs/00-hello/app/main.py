"""The Duck Shop's first service: a health check and price quotes."""

from fastapi import FastAPI, HTTPException, Request

from app.catalogue import PRICES_CENTS  # noqa: F401  (you will need these)
from app.pricing import quote_total  # noqa: F401

app = FastAPI(title="Duck Shop")


@app.get("/health")
def health():
    # TODO: answer 200 with the JSON {"status": "ok"}.
    raise HTTPException(status_code=501, detail="TODO: implement GET /health (see README.md)")


# TODO: declare a Pydantic model for the request body - sku: a string; quantity: an integer
#       from 1 to 1000 - and take it as the parameter of create_quote instead of `request`.
#       FastAPI then answers 422 for invalid input before your code runs.
# TODO: broken JSON is a 400, not FastAPI's 422 (README, rule R6): an exception handler for
#       RequestValidationError (from fastapi.exceptions) that answers 400 when an error's type is
#       "json_invalid", and 422 with the errors otherwise.


@app.post("/quotes")
async def create_quote(request: Request):
    # TODO: look the sku up in PRICES_CENTS (404 if unknown) and answer 200 with
    #       {"sku", "quantity", "unit_price_cents", "total_cents"} (README, 'Price quotes').
    raise HTTPException(status_code=501, detail="TODO: implement POST /quotes (see README.md)")
