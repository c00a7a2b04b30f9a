"""Passwords and access tokens."""

from functools import lru_cache

import jwt  # noqa: F401  (PyJWT: jwt.encode, jwt.decode, jwt.InvalidTokenError)

ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    """A salted, slow hash to store instead of the password, with everything needed to check it."""
    # TODO: hashlib.scrypt with a random 16-byte salt (os.urandom), e.g. n=2**14, r=8, p=1;
    #       return one string holding the parameters, the salt and the digest (README, "Passwords").
    raise NotImplementedError("TODO: hash_password in app/security.py (see README.md)")


def verify_password(password: str, stored: str) -> bool:
    # TODO: recompute with the stored salt and parameters; compare with hmac.compare_digest.
    raise NotImplementedError("TODO: verify_password in app/security.py (see README.md)")


@lru_cache
def dummy_hash() -> str:
    """Verified against when the email is unknown, so both failures take as long (no user enumeration)."""
    return hash_password("not the password of anyone")


class InvalidToken(Exception):
    pass


def create_access_token(customer_id: int, secret_key: str, ttl_s: int) -> str:
    # TODO: an HS256 JWT with sub = str(customer_id), iat = now and exp = now + ttl_s (README, "Tokens").
    raise NotImplementedError("TODO: create_access_token in app/security.py (see README.md)")


def decode_access_token(token: str, secret_key: str) -> int:
    """The customer id in a valid token; InvalidToken if forged, expired, or malformed."""
    # TODO: jwt.decode with algorithms pinned and exp required; raise InvalidToken for any failure.
    raise NotImplementedError("TODO: decode_access_token in app/security.py (see README.md)")
