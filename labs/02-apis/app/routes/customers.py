"""POST /customers (register), POST /auth/token (log in), GET /customers/me and /customers/{id}."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from app import crud
from app.deps import CurrentCustomer, SessionDep, SettingsDep
from app.schemas import MAX_ID, CustomerCreate, CustomerOut, Credentials, Token
from app.security import create_access_token, dummy_hash, hash_password, verify_password

router = APIRouter(tags=["customers"])
AUTH_ERRORS = {401: {"description": "Not logged in"}}


@router.post("/customers", status_code=201, responses={409: {"description": "Email taken"}})
def register(body: CustomerCreate, response: Response, session: SessionDep) -> CustomerOut:
    # TODO: store a hash of the password (never the password); 409 if the email is taken;
    #       201 with a Location header (README, "Customers").
    raise NotImplementedError("TODO: POST /customers in app/routes/customers.py (see README.md)")


@router.post("/auth/token", responses=AUTH_ERRORS)
def log_in(body: Credentials, session: SessionDep, settings: SettingsDep) -> Token:
    # TODO: check the password (the same 401 for an unknown email as for a wrong password, with
    #       WWW-Authenticate: Bearer), then issue a token (README, "Tokens").
    raise NotImplementedError("TODO: POST /auth/token in app/routes/customers.py (see README.md)")


@router.get("/customers/me", responses=AUTH_ERRORS)
def read_me(me: CurrentCustomer) -> CustomerOut:
    raise NotImplementedError("TODO: GET /customers/me in app/routes/customers.py (see README.md)")


@router.get("/customers/{customer_id}", responses={**AUTH_ERRORS, 404: {"description": "Not found"}})
def read_customer(customer_id: Annotated[int, Path(ge=1, le=MAX_ID)], me: CurrentCustomer) -> CustomerOut:
    raise NotImplementedError("TODO: GET /customers/{id} in app/routes/customers.py (see README.md)")
