"""Errors as RFC 9457 problem details: one shape for every error, FastAPI's own included.

HTTP/1.1 422 Unprocessable Content
Content-Type: application/problem+json

{"type": "about:blank", "title": "Unprocessable Content", "status": 422,
 "detail": "The request is invalid: see errors.", "instance": "/orders",
 "errors": [{"detail": "Input should be greater than or equal to 1", "pointer": "#/items/0/quantity"}]}
"""

from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def problem_response(request: Request, status: int, detail: str, *, headers=None, errors=None) -> JSONResponse:
    problem = Problem(
        title=HTTPStatus(status).phrase, status=status, detail=detail, instance=request.url.path, errors=errors
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


# What a URI fragment may hold besides letters, digits and -._~ (RFC 3986: pchar, "/" and "?").
_FRAGMENT_SAFE = "!$&'()*+,;=:@/?"


def json_pointer(path) -> str:
    """("items", 1, "quantity") -> "#/items/1/quantity": RFC 6901 in URI-fragment form.

    In each key "~" becomes "~0" and "/" becomes "~1" (section 3), then anything a fragment
    can't hold is percent-encoded as UTF-8 (section 6): "a b/c" -> "#/a%20b~1c".
    """
    tokens = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "#" + "".join("/" + str(part) for part in path)


def _field_error(error: dict) -> FieldError:
    where, *path = error["loc"]
    if where == "body":
        return FieldError(detail=error["msg"], pointer=json_pointer(path))
    return FieldError(detail=error["msg"], parameter=str(path[0]) if path else str(where))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    # Starlette's HTTPException: ours, and the router's own 404, 405 (which keep their Allow
    # header) and 413 (FastAPI's max_body_size).
    return problem_response(request, exc.status_code, str(exc.detail), headers=exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        # Malformed syntax is a 400 (RFC 9110, 15.5.1); 422 means "well-formed, but wrong".
        return problem_response(request, 400, "The body is not valid JSON.")
    return problem_response(
        request, 422, "The request is invalid: see errors.", errors=[_field_error(error) for error in errors]
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The details stay in the server's log: a stack trace tells an attacker too much.
    return problem_response(request, 500, "Something went wrong on our side.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    _document_problems(app)


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document tell the truth: every 4xx/5xx answer is a Problem."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem_schema.pop("$defs", {}))
            components["Problem"] = problem_schema
            for components_name in ("HTTPValidationError", "ValidationError"):
                components.pop(components_name, None)
            for operation in (op for item in schema["paths"].values() for op in item.values()):
                for status, response in operation["responses"].items():
                    if status[0] in "45":
                        response["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
