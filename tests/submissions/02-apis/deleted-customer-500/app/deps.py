"""Dependencies, as Annotated aliases: `def handler(session: SessionDep, me: CurrentCustomer)`."""

from typing import Annotated

from app.core.config import Settings, get_settings
from app.db import get_session
from app.models import Customer
from app.security import InvalidToken, decode_access_token
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_bearer = HTTPBearer(auto_error=False)  # we answer the 401 ourselves, as a problem


def json_body(request: Request) -> None:
    """A router dependency: a body must be JSON (415 otherwise), before anything reads it."""
    has_body = request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if has_body and media_type != "application/json":
        raise HTTPException(415, "Send the body as JSON, with Content-Type: application/json.")


def _unauthorized(detail: str, challenge: str = "Bearer") -> HTTPException:
    # RFC 9110: a 401 must say how to authenticate (WWW-Authenticate); RFC 6750 gives the Bearer format.
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def current_customer(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Customer:
    if credentials is None:
        raise _unauthorized("Log in first: send Authorization: Bearer <token> (POST /auth/token).")
    try:
        customer_id = decode_access_token(credentials.credentials, settings)
    except InvalidToken:
        raise _unauthorized("The token is invalid or expired: log in again.", 'Bearer error="invalid_token"') from None
    return session.get(Customer, customer_id)


CurrentCustomer = Annotated[Customer, Depends(current_customer)]


def current_admin(customer: CurrentCustomer) -> Customer:
    if customer.role != "admin":
        raise HTTPException(403, "Only the shop's staff may do this.")
    return customer


CurrentAdmin = Annotated[Customer, Depends(current_admin)]
