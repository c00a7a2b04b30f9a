"""Passwords and access tokens."""

import base64
import hashlib
import hmac
import os
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from app.core.config import Settings

SCRYPT_R, SCRYPT_P = 8, 1  # with n = settings.scrypt_n: OWASP's minimum is n=2**17, r=8, p=1
ALGORITHM = "HS256"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # n * r * 128 bytes of memory (128 MiB at n=2**17): above hashlib's 32 MiB default maxmem.
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r, dklen=32)


def hash_password(password: str, n: int) -> str:
    """A salted, slow hash: 'scrypt$n$r$p$salt$hash'. The salt makes equal passwords hash
    differently; the parameters are stored with it, so the cost can grow without a migration."""
    salt = os.urandom(16)
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    _, n, r, p, salt, expected = stored.split("$")
    digest = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    return hmac.compare_digest(digest, base64.b64decode(expected))  # constant time


@lru_cache
def dummy_hash(n: int) -> str:
    """Verified against when the email is unknown, so both failures take as long (no user enumeration)."""
    return hash_password("not the password of anyone", n)


class InvalidToken(Exception):
    pass


def create_access_token(customer_id: int, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(customer_id),
        "iat": now,
        "exp": now + timedelta(seconds=settings.token_ttl_s),
        "iss": settings.token_issuer,  # who made it
        "aud": settings.token_audience,  # who it is for: another service's tokens are not ours
    }
    return jwt.encode(claims, settings.token_key, algorithm=ALGORITHM)


def decode_access_token(token: str, settings: Settings) -> int:
    """The customer id in a valid token; InvalidToken if forged, expired, misdirected or malformed."""
    try:
        # algorithms=[...] pins HS256: a token saying {"alg": "none"} is refused.
        claims = jwt.decode(
            token,
            settings.token_key,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "iat", "sub"], "verify_aud": False},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(str(exc)) from None
    subject = claims["sub"]
    if not (isinstance(subject, str) and subject.isdigit() and len(subject) < 11):
        raise InvalidToken("bad subject")
    return int(subject)
