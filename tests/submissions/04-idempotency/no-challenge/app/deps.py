"""Dependencies: the settings, a database session, and the two headers every payment needs."""

from collections.abc import Iterator
from typing import Annotated

from app.core.config import Settings
from app.core.problems import Problem
from app.idempotency import parse_idempotency_key
from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_client_id(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """The client the request's API key belongs to (``Authorization: Bearer <api key>``)."""
    scheme, _, api_key = (authorization or "").partition(" ")
    client_id = settings.api_keys.get(api_key.strip()) if scheme.lower() == "bearer" else None
    if client_id is None:
        # RFC 9110: a 401 says how to authenticate, in WWW-Authenticate (RFC 6750 for bearer tokens).
        raise Problem(
            401,
            "unauthenticated",
            "API key required",
            "Send Authorization: Bearer <your API key>.",
        )
    return client_id


def get_idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str:
    return parse_idempotency_key(idempotency_key)


ClientIdDep = Annotated[str, Depends(get_client_id)]
IdempotencyKeyDep = Annotated[str, Depends(get_idempotency_key)]
