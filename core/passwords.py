"""Password hashes in Werkzeug's format ("scrypt:n:r:p$salt$hex"), without a web framework in services.

Hashes written before (by werkzeug.security) verify unchanged: scrypt and pbkdf2 are both read.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string

SALT_CHARS = string.ascii_letters + string.digits
SCRYPT = (2 ** 15, 8, 1)  # n, r, p


def _digest(method: str, salt: str, password: str) -> str:
    name, *args = method.split(":")
    if name == "scrypt":
        n, r, p = map(int, args) if args else SCRYPT
        return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
    if name == "pbkdf2":
        hash_name = args[0] if args else "sha256"
        iterations = int(args[1]) if len(args) > 1 else 1_000_000
        return hashlib.pbkdf2_hmac(hash_name, password.encode(), salt.encode(), iterations).hex()
    raise ValueError(f"unknown password hash method {name!r}")


def hash_password(password: str) -> str:
    """A salted scrypt hash."""
    salt = "".join(secrets.choice(SALT_CHARS) for _ in range(16))
    method = "scrypt:{}:{}:{}".format(*SCRYPT)
    return f"{method}${salt}${_digest(method, salt, password)}"


def verify_password(stored: str, password: str) -> bool:
    """True when `password` matches `stored`; a malformed hash never matches."""
    try:
        method, salt, expected = stored.split("$", 2)
        return hmac.compare_digest(_digest(method, salt, password), expected)
    except ValueError:
        return False
