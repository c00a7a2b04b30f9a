"""Errors as RFC 9457 problem details: ``application/problem+json`` with type, title, status, detail."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://duckshop.example/problems/"


class Problem(Exception):
    """Raise it anywhere in a request: the client gets this status, body and headers."""

    def __init__(self, status: int, slug: str, title: str, detail: str = "", headers: dict[str, str] | None = None):
        self.status, self.headers = status, headers or {}
        self.body = {"type": TYPE_BASE + slug, "title": title, "status": status, "detail": detail}


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.body, problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem):
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError):
        detail = "; ".join(f"{'/'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return problem_response(Problem(422, "validation-error", "Invalid request", detail))

    @app.exception_handler(NotImplementedError)
    async def on_todo(request: Request, exc: NotImplementedError):
        return problem_response(Problem(501, "not-implemented", "Not implemented", str(exc)))

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        return problem_response(Problem(exc.status_code, "http-error", str(exc.detail)))
