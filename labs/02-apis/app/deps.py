"""Dependencies, as Annotated aliases: `def handler(session: SessionDep, me: CurrentCustomer)`."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.db import get_session
from app.models import Customer  # noqa: F401
from app.security import InvalidToken, decode_access_token  # noqa: F401

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_bearer = HTTPBearer(auto_error=False)  # we answer the 401 ourselves, as a problem


def json_body(request: Request) -> None:
    """A router dependency: a body must be JSON (415 otherwise), before anything reads it."""
    # TODO: a non-empty body (Content-Length other than 0, or Transfer-Encoding) whose Content-Type
    #       is not application/json (parameters such as "; charset=utf-8" allowed), or missing,
    #       is HTTPException(415, ...) (README, R3). Until then, every body gets through.


def _unauthorized(detail: str, challenge: str = "Bearer") -> HTTPException:
    # RFC 9110: a 401 must say how to authenticate (WWW-Authenticate); RFC 6750 gives the Bearer format.
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def current_customer(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Customer:
    # TODO: 401 with WWW-Authenticate: Bearer when there is no token (use _unauthorized); decode it
    #       with decode_access_token(..., settings) (401 if InvalidToken); load the customer (401 if
    #       gone) (README, R32).
    raise NotImplementedError("TODO: current_customer in app/deps.py (see README.md)")


CurrentCustomer = Annotated[Customer, Depends(current_customer)]


def current_admin(customer: CurrentCustomer) -> Customer:
    # TODO: only staff (role "admin") may go on; anyone else gets 403.
    raise NotImplementedError("TODO: current_admin in app/deps.py (see README.md)")


CurrentAdmin = Annotated[Customer, Depends(current_admin)]
