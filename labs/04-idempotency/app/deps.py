"""Dependencies: the settings, a database session, and the two headers every payment needs."""

import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.problems import Problem  # noqa: F401  (raise Problem(401, ...))
from app.idempotency import parse_idempotency_key

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # what a valid client id looks like


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


def get_client_id(x_client_id: Annotated[str | None, Header()] = None) -> str:
    """The client's identity: 1 to 64 letters, digits, '_', '.' or '-'; raise Problem(401, ...) otherwise."""
    # TODO (README, 'The contract'): keys are scoped per client, so every payment needs one.
    raise NotImplementedError("TODO: get_client_id in app/deps.py (see README.md)")


def get_idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str:
    return parse_idempotency_key(idempotency_key)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
ClientIdDep = Annotated[str, Depends(get_client_id)]
IdempotencyKeyDep = Annotated[str, Depends(get_idempotency_key)]
