"""Errors as RFC 9457 problem details: one shape for every error, FastAPI's own included.

HTTP/1.1 422 Unprocessable Content
Content-Type: application/problem+json

{"type": "about:blank", "title": "Unprocessable Content", "status": 422,
 "detail": "The request is invalid: see errors.", "instance": "/orders",
 "errors": [{"detail": "Input should be greater than or equal to 1", "pointer": "#/items/0/quantity"}]}
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    detail: str
    pointer: str | None = None  # a JSON Pointer into the request body, e.g. "#/items/0/quantity"
    parameter: str | None = None  # or the query/path/header parameter at fault, e.g. "limit"


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


def json_pointer(path) -> str:
    """("items", 1, "quantity") -> "#/items/1/quantity": RFC 6901 in URI-fragment form (README, R7)."""
    # TODO: "#" plus "/" + token for each part; in a token "~" becomes "~0" and "/" becomes "~1",
    #       then percent-encode what a URI fragment can't hold (urllib.parse.quote with a `safe`).
    raise NotImplementedError("TODO: json_pointer in app/errors.py (see README.md)")


async def _not_implemented(request: Request, exc: NotImplementedError) -> JSONResponse:
    # Scaffolding only: what you haven't written yet answers 501 with its TODO. Keep it or drop it.
    return JSONResponse({"detail": str(exc) or "TODO (see README.md)"}, status_code=501)


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotImplementedError, _not_implemented)
    # TODO: make every error a Problem sent as application/problem+json (README, "Errors"):
    #   - a handler for starlette.exceptions.HTTPException: yours, and the router's own 404, 405
    #     and 413 (keep exc.headers: they carry Allow and WWW-Authenticate);
    #   - a handler for fastapi.exceptions.RequestValidationError: 400 if the body is not JSON at
    #     all (an error of type "json_invalid"), else 422 with errors[], one {detail, pointer} per
    #     Pydantic error, the pointer built from the error's "loc" with json_pointer:
    #     ("body", "items", 1, "quantity") -> "#/items/1/quantity" (or {detail, parameter} for
    #     query and path parameters: ("query", "limit") -> "limit");
    #   - a handler for Exception: a 500 problem that reveals nothing about the code.
    # TODO: document it: override app.openapi so that every 4xx/5xx response of every operation
    #       has the content {"application/problem+json": {"schema": <Problem>}} (Schemathesis
    #       checks your answers against your document).
