"""Console password hashes: our own scrypt in Werkzeug's format, old Werkzeug hashes still verify."""
from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

from core.passwords import hash_password, verify_password


def test_hash_verifies_and_is_salted():
    first, second = hash_password("long-enough-9"), hash_password("long-enough-9")
    assert first != second and first.startswith("scrypt:32768:8:1$")
    assert verify_password(first, "long-enough-9") and not verify_password(first, "long-enough-8")


def test_hashes_written_by_werkzeug_still_verify_and_ours_verify_there():
    for method in ("scrypt", "pbkdf2:sha256:1000"):
        old = generate_password_hash("old-password-1", method=method)
        assert verify_password(old, "old-password-1") and not verify_password(old, "old-password-2")
    assert check_password_hash(hash_password("both-ways-ok"), "both-ways-ok")


def test_a_malformed_hash_never_matches():
    assert not verify_password("", "x") and not verify_password("md5$salt$abc", "x")
