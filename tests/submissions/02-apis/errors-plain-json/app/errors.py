"""Wrong on purpose: FastAPI's default errors ({"detail": ...} as application/json), no problem details."""

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    pass  # "the framework already answers errors" - in its own shape, not RFC 9457's
