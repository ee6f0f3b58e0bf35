"""Accounts and bearer tokens: argon2id password hashes, hashed random tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import ApiError
from service.models import Account, ApiToken, new_id, utcnow
from service.vault import keyring

ROLES = ("client", "therapist")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

# argon2id, t=3 and m=64 MiB: above OWASP's floor (t=2, m=19 MiB) at ~50 ms a sign-in here.
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
# Verified against when an email is unknown, so a miss costs what a hit costs.
_DUMMY_HASH = _hasher.hash("homeward-timing-equaliser")

F = TypeVar("F", bound=Callable[..., Any])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_account(session: Session, email: str, password: str, role: str) -> Account:
    """Create an account; raises ApiError on a bad email, weak password, unknown role or clash."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise ApiError(422, "invalid_email", "email must look like name@example.org")
    if role not in ROLES:
        raise ApiError(422, "invalid_role", "role must be 'client' or 'therapist'")
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise ApiError(
            422,
            "weak_password",
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long",
        )
    account_id = new_id()
    account = Account(
        id=account_id,
        email=email,
        password_hash=hash_password(password),
        role=role,
        wrapped_key=keyring().new_wrapped_key(account_id),
    )
    session.add(account)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, "email_taken", "an account with that email already exists") from None
    return account


def issue_token(
    session: Session, email: str, password: str, ttl: timedelta
) -> tuple[str, ApiToken]:
    """Check credentials and return a new bearer token (shown once) with its record."""
    account = session.scalar(select(Account).where(Account.email == (email or "").strip().lower()))
    ok = verify_password(account.password_hash if account else _DUMMY_HASH, password or "")
    if account is None or not ok:
        raise ApiError(401, "invalid_credentials", "email or password is wrong")
    token = secrets.token_urlsafe(32)
    record = ApiToken(
        account_id=account.id, token_hash=hash_token(token), expires_at=utcnow() + ttl
    )
    session.add(record)
    session.commit()
    return token, record


def account_for_token(session: Session, header: str | None) -> Account:
    """Return the account behind an ``Authorization: Bearer`` header, or raise 401."""
    challenge = {"WWW-Authenticate": 'Bearer realm="homeward"'}
    if not header:
        raise ApiError(401, "missing_token", "send Authorization: Bearer <token>", challenge)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "invalid_token", "the Authorization header must be 'Bearer <token>'", challenge
        )
    record = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))
    )
    if record is None or record.expires_at <= utcnow():
        raise ApiError(
            401, "invalid_token", "the token is unknown or has expired; sign in again", challenge
        )
    record.last_used_at = utcnow()
    session.commit()
    return record.account


def login_required(*roles: str) -> Callable[[F], F]:
    """Require a valid bearer token (and one of ``roles``, when given); sets ``g.account``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from service.db import db

            account = account_for_token(db.session, request.headers.get("Authorization"))
            if roles and account.role not in roles:
                raise ApiError(403, "wrong_role", f"this needs a {' or '.join(roles)} account")
            g.account = account
            current_app.logger.debug("request by account %s", account.id)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
