"""POST /customers (register), POST /auth/token (log in), GET /customers/me and /customers/{id}."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Response

from app import crud
from app.deps import CurrentCustomer, SessionDep, SettingsDep, json_body
from app.schemas import MAX_ID, Credentials, CustomerCreate, CustomerOut, Token
from app.security import create_access_token, dummy_hash, hash_password, verify_password

router = APIRouter(tags=["customers"], dependencies=[Depends(json_body)])
AUTH_ERRORS = {401: {"description": "Not logged in"}}


@router.post("/customers", status_code=201, responses={409: {"description": "Email taken"}})
def register(body: CustomerCreate, response: Response, session: SessionDep, settings: SettingsDep) -> CustomerOut:
    # TODO: the email in lower case; store a hash of the password (hash_password with
    #       settings.scrypt_n), never the password; 409 if the email is taken (crud.create_customer
    #       returns None); 201 with a Location header (README, R27-R29).
    raise NotImplementedError("TODO: POST /customers in app/routes/customers.py (see README.md)")


@router.post("/auth/token", responses=AUTH_ERRORS)
def log_in(body: Credentials, session: SessionDep, settings: SettingsDep) -> Token:
    # TODO: check the password (the same 401 for an unknown email as for a wrong password, with
    #       WWW-Authenticate: Bearer - and as slow: dummy_hash), then issue a token (README, R30-R31).
    raise NotImplementedError("TODO: POST /auth/token in app/routes/customers.py (see README.md)")


@router.get("/customers/me", responses=AUTH_ERRORS)
def read_me(me: CurrentCustomer) -> CustomerOut:
    raise NotImplementedError("TODO: GET /customers/me in app/routes/customers.py (see README.md)")


@router.get("/customers/{customer_id}", responses={**AUTH_ERRORS, 404: {"description": "Not found"}})
def read_customer(customer_id: Annotated[int, Path(ge=1, le=MAX_ID)], me: CurrentCustomer) -> CustomerOut:
    # TODO: the caller if it is their id, else 404 (README, R33).
    raise NotImplementedError("TODO: GET /customers/{id} in app/routes/customers.py (see README.md)")
