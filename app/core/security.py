"""Secrets handling every domain shares: random tokens stored only as hashes, argon2id passwords."""

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "rr_"


def new_token(prefix: str = TOKEN_PREFIX) -> str:
    """A bearer secret with 256 bits of randomness, recognisable by its prefix in logs and scanners."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What we store and look up: SHA-256 is enough for 256-bit random secrets (no argon2 per request)."""
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check, so an unknown account is not revealed by timing.
        _safe_verify(_DUMMY_HASH, password)
        return False
    return _safe_verify(password_hash, password)


def _safe_verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def sign(secret: str, value: str) -> str:
    """HMAC-SHA256 of `value` under the app's secret key, hex."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
