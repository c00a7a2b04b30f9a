"""Another correct design: Starlette's BaseHTTPMiddleware (a function-style middleware) instead of
pure ASGI, a logging.Filter that stamps the request id on every record, and the route template
read from the request after call_next."""

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar

from prometheus_client import Counter, Gauge, Histogram
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}\Z")
request_id_var: ContextVar[str] = ContextVar("request_id", default="")

REQUESTS = Counter("http_requests", "HTTP requests", ("method", "route", "status"))
DURATION = Histogram("http_request_duration_seconds", "HTTP request duration", ("method", "route"))
FALLBACKS = Counter("shipping_fallbacks", "Fallback shipping rates charged")
BREAKER_STATE = Gauge("shipping_breaker_state", "0 closed, 1 open, 2 half-open")


def current_request_id() -> str:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or None
        return True


class OneLineJson(logging.Formatter):
    FIELDS = ("method", "route", "status", "duration_ms", "attempt", "retry", "error", "why", "breaker", "shipping_url")

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": record.request_id,
        }
        out.update({name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)})
        return json.dumps(out, default=str)


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(OneLineJson())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


class _Middleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        rid = offered if _ACCEPTABLE.match(offered) else str(uuid.uuid4())
        request_id_var.set(rid)
        start = time.monotonic()
        status = 500
        try:
            try:
                response = await call_next(request)
            except Exception:  # a handler raised: our 500, with the id (Starlette's would have none)
                logging.getLogger("errors").exception("unhandled error")
                response = JSONResponse(
                    {"type": "about:blank", "title": "Internal Server Error", "status": 500},
                    500,
                    media_type="application/problem+json",
                )
            status = response.status_code
            response.headers[REQUEST_ID_HEADER] = rid
            return response
        finally:
            route = request.scope.get("route")
            template = route.path if route is not None else "<no route>"
            elapsed = time.monotonic() - start
            REQUESTS.labels(request.method, template, str(status)).inc()
            DURATION.labels(request.method, template).observe(elapsed)
            logging.getLogger("access").info(
                "%s %s %s",
                request.method,
                template,
                status,
                extra={"method": request.method, "route": template, "status": status, "duration_ms": elapsed * 1000},
            )


def ObservabilityMiddleware(app):  # noqa: N802 - used as app.add_middleware(ObservabilityMiddleware)
    return _Middleware(app)
