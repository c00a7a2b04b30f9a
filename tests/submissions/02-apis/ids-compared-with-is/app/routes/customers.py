"""POST /customers (register), POST /auth/token (log in), GET /customers/me and /customers/{id}."""

from typing import Annotated

from app import crud
from app.deps import CurrentCustomer, SessionDep, SettingsDep, json_body
from app.schemas import MAX_ID, Credentials, CustomerCreate, CustomerOut, Token
from app.security import create_access_token, dummy_hash, hash_password, verify_password
from fastapi import APIRouter, Depends, HTTPException, Path, Response

router = APIRouter(tags=["customers"], dependencies=[Depends(json_body)])
AUTH_ERRORS = {401: {"description": "Not logged in"}}


@router.post("/customers", status_code=201, responses={409: {"description": "Email taken"}})
def register(body: CustomerCreate, response: Response, session: SessionDep, settings: SettingsDep) -> CustomerOut:
    # Emails are case-insensitive: stored in lower case, the UNIQUE constraint sees Ada@ and ada@ as one.
    password_hash = hash_password(body.password, settings.scrypt_n)
    customer = crud.create_customer(session, email=body.email.lower(), name=body.name, password_hash=password_hash)
    if customer is None:
        raise HTTPException(409, "This email is already registered.")
    response.headers["Location"] = f"/customers/{customer.id}"
    return customer  # CustomerOut has no password field: the hash never leaves the server either


@router.post("/auth/token", responses=AUTH_ERRORS)
def log_in(body: Credentials, session: SessionDep, settings: SettingsDep) -> Token:
    customer = crud.customer_by_email(session, body.email.lower())
    # Same work and the same answer whether the email or the password is wrong.
    valid = verify_password(body.password, customer.password_hash if customer else dummy_hash(settings.scrypt_n))
    if customer is None or not valid:
        raise HTTPException(401, "Wrong email or password.", headers={"WWW-Authenticate": "Bearer"})
    token = create_access_token(customer.id, settings)
    return Token(access_token=token, expires_in=settings.token_ttl_s)


@router.get("/customers/me", responses=AUTH_ERRORS)
def read_me(me: CurrentCustomer) -> CustomerOut:
    return me


@router.get("/customers/{customer_id}", responses={**AUTH_ERRORS, 404: {"description": "Not found"}})
def read_customer(customer_id: Annotated[int, Path(ge=1, le=MAX_ID)], me: CurrentCustomer) -> CustomerOut:
    if customer_id is not me.id:  # WRONG (on purpose): is compares objects, not values
        raise HTTPException(404, f"There is no customer {customer_id} for you.")
    return me
