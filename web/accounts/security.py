"""Passwords (Argon2id via argon2-cffi), signed e-mail tokens, input rules for accounts."""
from __future__ import annotations

import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PASSWORD_MIN, PASSWORD_MAX = 10, 200
VERIFY_MAX_AGE_S = 3 * 24 * 3600
RESET_MAX_AGE_S = 3600  # a password reset link works for one hour
CHANGE_MAX_AGE_S = 24 * 3600  # a new address must be confirmed within a day
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the e-mail is unknown, so that a login costs the same either way.
_DUMMY_HASH = _hasher.hash("not a real password, only here to spend the same time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def valid_email(email: str) -> bool:
    return len(email) <= 254 and bool(_EMAIL.match(email))


def valid_orcid(orcid: str) -> bool:
    """The ORCID iD form 0000-0002-1825-0097 with its ISO 7064 11,2 check digit."""
    if not _ORCID.match(orcid):
        return False
    digits = orcid.replace("-", "")
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=f"peerscope-{purpose}")


def email_token(secret: str, user_id: int, email: str) -> str:
    """A signed, dated token binding the user to the address it was sent to."""
    return _serializer(secret, "verify-email").dumps({"u": user_id, "e": email})


def _read(secret: str, purpose: str, token: str, max_age: int, key: str) -> tuple[int, str] | None:
    """(user id, the token's `key`) of a valid token of `purpose`; None when forged, mangled or expired."""
    try:
        data = _serializer(secret, purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get(key), str):
        return None
    return data["u"], data[key]


def read_email_token(secret: str, token: str, max_age: int = VERIFY_MAX_AGE_S) -> tuple[int, str] | None:
    """(user id, e-mail) of a valid token; None when it is forged, mangled or expired."""
    return _read(secret, "verify-email", token, max_age, "e")


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash: binds tokens and sessions to the current password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def reset_token(secret: str, user_id: int, password_hash: str) -> str:
    """A signed, dated password-reset token bound to the password it replaces: once the
    password changes (by this token or otherwise) the token no longer matches, so it is
    single-use and ends with the next change."""
    return _serializer(secret, "reset-password").dumps({"u": user_id, "p": password_fingerprint(password_hash)})


def read_reset_token(secret: str, token: str, max_age: int = RESET_MAX_AGE_S) -> tuple[int, str] | None:
    """(user id, password fingerprint) of a valid token; None when forged, mangled or expired."""
    return _read(secret, "reset-password", token, max_age, "p")


def reset_matches(fingerprint: str, password_hash: str) -> bool:
    return hmac.compare_digest(fingerprint, password_fingerprint(password_hash))


def change_email_token(secret: str, user_id: int, new_email: str) -> str:
    """A signed, dated token that proves the new address of a change of address."""
    return _serializer(secret, "change-email").dumps({"u": user_id, "e": new_email})


def read_change_email_token(secret: str, token: str, max_age: int = CHANGE_MAX_AGE_S) -> tuple[int, str] | None:
    """(user id, new address) of a valid token; None when forged, mangled or expired."""
    return _read(secret, "change-email", token, max_age, "e")
