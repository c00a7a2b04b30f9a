"""What lets you see the checkout working (or not): a request id on every request, its log lines
and its downstream calls; one JSON object per log line; and Prometheus metrics (RED: rate, errors,
duration) labelled by route template, never by raw path."""

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from prometheus_client import Counter, Gauge, Histogram

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # anything else could forge log lines: replaced

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUESTS = Counter("http_requests", "HTTP requests answered", ["method", "route", "status"])
DURATION = Histogram("http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"])
FALLBACKS = Counter("shipping_fallbacks", "Checkouts charged the fallback shipping rate")
BREAKER_STATE = Gauge("shipping_breaker_state", "The shipping breaker: 0 closed, 1 open, 2 half-open")


def current_request_id() -> str:
    return _request_id.get() or ""


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id of the request being handled (if any)."""

    STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _request_id.get(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in self.STANDARD})  # extra={...}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)  # flushed after every line
    handler.setFormatter(JsonFormatter())
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn's loggers too
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler] if name == "" else []
        logger.propagate = name != ""
    logging.getLogger().setLevel(logging.INFO)


access_log = logging.getLogger("app.access")
error_log = logging.getLogger("app.errors")


class ObservabilityMiddleware:
    """Pure ASGI: takes or makes the request id, answers it in X-Request-ID, and counts, times
    and logs each request by its route template (``/orders/{order_id}``, not ``/orders/17``)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        status, started = 500, time.perf_counter()

        started_answer = False

        async def send_with_id(message):
            nonlocal status, started_answer
            if message["type"] == "http.response.start":
                status, started_answer = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # A handler raised (the database is gone...). Left alone, the exception would reach
            # Starlette's outermost error handler, which answers 500 outside this middleware: without
            # X-Request-ID. Answer it here, with the id, and log it with its traceback.
            error_log.exception("unhandled error", extra={"method": scope["method"], "path": scope["path"]})
            if started_answer:
                raise  # half an answer is out: nothing better can be sent
            body = json.dumps({"type": "about:blank", "title": "Internal Server Error", "status": 500}).encode()
            headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
            await send_with_id({"type": "http.response.start", "status": 500, "headers": headers})
            await send_with_id({"type": "http.response.body", "body": body})
        finally:
            took = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")  # the template the router matched
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            DURATION.labels(scope["method"], route).observe(took)
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(took * 1000, 1),
                },
            )
            _request_id.reset(token)
