"""Passwords and access tokens."""

from functools import lru_cache

import jwt  # noqa: F401  (PyJWT: jwt.encode, jwt.decode, jwt.InvalidTokenError)

from app.core.config import Settings

SCRYPT_R, SCRYPT_P = 8, 1  # with n = settings.scrypt_n: OWASP's minimum is n=2**17, r=8, p=1
ALGORITHM = "HS256"


def hash_password(password: str, n: int) -> str:
    """A salted, slow hash to store instead of the password, with everything needed to check it."""
    # TODO: hashlib.scrypt with a random 16-byte salt (os.urandom), cost n, SCRYPT_R, SCRYPT_P
    #       (n * r * 128 bytes of memory: pass maxmem, hashlib's default is 32 MiB); return one
    #       string holding the parameters, the salt and the digest (README, R29).
    raise NotImplementedError("TODO: hash_password in app/security.py (see README.md)")


def verify_password(password: str, stored: str) -> bool:
    # TODO: recompute with the stored salt and parameters; compare with hmac.compare_digest.
    raise NotImplementedError("TODO: verify_password in app/security.py (see README.md)")


@lru_cache
def dummy_hash(n: int) -> str:
    """Verified against when the email is unknown, so both failures take as long (no user enumeration)."""
    return hash_password("not the password of anyone", n)


class InvalidToken(Exception):
    pass


def create_access_token(customer_id: int, settings: Settings) -> str:
    # TODO: an HS256 JWT signed with settings.token_key: sub = str(customer_id), iat = now,
    #       exp = now + settings.token_ttl_s, iss = settings.token_issuer, aud = settings.token_audience
    #       (README, R31).
    raise NotImplementedError("TODO: create_access_token in app/security.py (see README.md)")


def decode_access_token(token: str, settings: Settings) -> int:
    """The customer id in a valid token; InvalidToken if forged, expired, misdirected or malformed."""
    # TODO: jwt.decode with the algorithm pinned, the audience and issuer checked, and exp, iat,
    #       sub, iss and aud required; raise InvalidToken for any failure (README, R32).
    raise NotImplementedError("TODO: decode_access_token in app/security.py (see README.md)")
