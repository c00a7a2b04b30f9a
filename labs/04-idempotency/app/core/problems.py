"""Errors as RFC 9457 problem details: ``application/problem+json`` with type, title, status, detail."""

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://duckshop.example/problems/"


class Problem(Exception):
    """Raise it anywhere in a request: the client gets this problem, with these headers."""

    def __init__(self, status: int, slug: str, title: str, detail: str = "", headers: dict | None = None, **extra):
        self.status, self.headers = status, headers or {}
        self.body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail, **extra}


def json_pointer(path) -> str:
    """("card",) -> "#/card": RFC 6901 in URI-fragment form ("~" is "~0", "/" is "~1", then
    percent-encoding), "#" for the body itself."""
    tokens = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "#" + "".join("/" + quote(token, safe="!$&'()*+,;=:@/?") for token in tokens)


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body, problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem):
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError):
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            # Malformed syntax is a 400 (RFC 9110, 15.5.1); 422 means "well-formed, but wrong".
            return problem_response(Problem(400, "malformed-json", "Malformed JSON", "The body is not valid JSON."))
        errors = [{"detail": e["msg"], "pointer": json_pointer(e["loc"][1:])} for e in exc.errors()]
        return problem_response(Problem(422, "validation-error", "Invalid request", "See errors.", errors=errors))

    @app.exception_handler(NotImplementedError)
    async def on_todo(request: Request, exc: NotImplementedError):
        return problem_response(Problem(501, "not-implemented", "Not implemented", str(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        return problem_response(Problem(exc.status_code, "http-error", str(exc.detail)))
