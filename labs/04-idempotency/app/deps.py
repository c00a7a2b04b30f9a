"""Dependencies: the settings, a database session, and the two headers every payment needs."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.problems import Problem  # noqa: F401  (raise Problem(401, ..., headers=...))
from app.idempotency import parse_idempotency_key


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_client_id(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """The client the request's API key belongs to: ``Authorization: Bearer <api key>``, looked up
    in ``settings.api_keys`` (API key -> client id).

    Missing, another scheme, or an unknown key: raise Problem(401, ...) with the header
    ``WWW-Authenticate: Bearer realm="payments"``.
    """
    # TODO (README, 'Who is asking': R1): keys are scoped per client, so every payment needs one.
    raise NotImplementedError("TODO: get_client_id in app/deps.py (see README.md)")


def get_idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str:
    return parse_idempotency_key(idempotency_key)


ClientIdDep = Annotated[str, Depends(get_client_id)]
IdempotencyKeyDep = Annotated[str, Depends(get_idempotency_key)]
