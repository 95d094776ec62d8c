"""The review team's accounts: names with salted scrypt hashes, in a JSON file beside the database.

The file is kept outside the database so that a published copy of the database never carries
anyone's password hash. It also holds the secret that signs the review site's cookies, so that
sessions survive a restart of ``serve --review`` and end when the file's secret is changed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

# scrypt's cost: about 50 ms and 16 MiB per check on a laptop (OWASP's minimum is n=2**17, r=8
# for interactive logins; 2**14 keeps a test suite quick and is still far from a plain hash).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A reviewers file or a reviewer that cannot be used."""


def reviewers_path(db_path: str | os.PathLike[str], path: str | os.PathLike[str] | None) -> Path:
    """The reviewers file: ``path``, or ``<db name>-reviewers.json`` beside the database."""
    if path:
        return Path(path)
    db = Path(db_path)
    return db.with_name(f"{db.stem}-reviewers.json")


def load_accounts(path: Path) -> dict[str, Any]:
    """The file's content ({"secret": …, "reviewers": {name: {...}}}); empty when it is missing."""
    if not path.exists():
        return {"reviewers": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AccountError(f"{path}: not a reviewers file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("reviewers"), dict):
        raise AccountError(f"{path}: not a reviewers file (no 'reviewers' object)")
    return data


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` with a fresh 16-byte salt."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.urlsafe_b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def add_reviewer(path: Path, name: str, password: str) -> bool:
    """Add a reviewer or change their password; True when the name is new."""
    name = name.strip()
    if not name or len(name) > 64 or any(c in name for c in "\r\n\t"):
        raise AccountError("a reviewer's name is 1–64 characters on one line")
    if name in ("rule", "model", "source"):
        raise AccountError(f"{name!r} is reserved for decisions that are not a person's")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    data = load_accounts(path)
    data.setdefault("secret", secrets.token_hex(32))
    new = name not in data["reviewers"]
    data["reviewers"][name] = {"password": hash_password(password)}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    # Owner-only: the file holds password hashes and the cookie secret.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(temporary, path)
    return new


def verify_reviewer(path: Path, name: str, password: str) -> bool:
    """Whether ``name`` is a reviewer in the file and ``password`` is theirs."""
    entry = load_accounts(path)["reviewers"].get(name.strip())
    if not entry:
        check_password(password, hash_password("timing"))  # as slow as a real check
        return False
    return check_password(password, str(entry.get("password", "")))


def is_reviewer(path: Path, name: str) -> bool:
    """Whether ``name`` is (still) in the reviewers file."""
    return name in load_accounts(path)["reviewers"]


def cookie_secret(path: Path) -> str | None:
    """The secret that signs the review site's cookies (None before the first reviewer)."""
    secret = load_accounts(path).get("secret")
    return str(secret) if secret else None
