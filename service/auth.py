"""Who is asking: passwords (argon2id), bearer tokens, web sessions, roles and CSRF."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, g, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import sessions
from service.errors import ApiError
from service.models import Account, ApiToken, new_id, utcnow
from service.vault import keyring

ROLES = ("client", "therapist")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_EXTENSION = "homeward.passwords"

F = TypeVar("F", bound=Callable[..., Any])


class EmailTaken(Exception):
    """The email has an account; views must not say so (no account enumeration)."""


def init_app(app: Flask, time_cost: int, memory_kib: int) -> None:
    """argon2id with the configured cost (never below OWASP's t=2, m=19 MiB; see config)."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    # Verified against when an email is unknown, so a miss costs what a hit costs.
    app.extensions[_EXTENSION] = (hasher, hasher.hash(secrets.token_hex(16)))


def _hasher() -> PasswordHasher:
    hasher: PasswordHasher = current_app.extensions[_EXTENSION][0]
    return hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_rules(password: str) -> None:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise ApiError(
            422,
            "weak_password",
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters long",
        )


def create_account(session: Session, email: str, password: str, role: str) -> Account:
    """Create an account; ApiError on a bad field, EmailTaken when the email has one."""
    email = normalise_email(email)
    if not EMAIL.match(email):
        raise ApiError(422, "invalid_email", "email must look like name@example.org")
    if role not in ROLES:
        raise ApiError(422, "invalid_role", "role must be 'client' or 'therapist'")
    check_password_rules(password)
    account_id = new_id()
    # Hashing happens before the clash check, so both answers take the same time.
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
        raise EmailTaken from None
    return account


def check_credentials(session: Session, email: str, password: str) -> Account:
    """The account whose email and password these are, or 401; same cost either way."""
    account = session.scalar(select(Account).where(Account.email == normalise_email(email)))
    dummy: str = current_app.extensions[_EXTENSION][1]
    ok = verify_password(account.password_hash if account else dummy, password or "")
    if account is None or not ok:
        raise ApiError(401, "invalid_credentials", "email or password is wrong")
    return account


def issue_token(
    session: Session, account: Account, ttl: timedelta, name: str = ""
) -> tuple[str, ApiToken]:
    """A new bearer token for ``account`` (the token is shown once, only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    record = ApiToken(
        account_id=account.id,
        token_hash=hash_token(token),
        name=name[:100],
        expires_at=utcnow() + ttl,
    )
    session.add(record)
    session.commit()
    return token, record


def change_password(session: Session, account: Account, current: str, new: str) -> None:
    """Change the password, then sign out every session and revoke every token."""
    if not verify_password(account.password_hash, current or ""):
        raise ApiError(401, "invalid_credentials", "the current password is wrong")
    check_password_rules(new)
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    sessions.end_all(session, account.id)
    session.execute(delete(ApiToken).where(ApiToken.account_id == account.id))
    session.commit()


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="homeward"'}


def _account_for_bearer(session: Session, header: str) -> Account:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "invalid_token", "the Authorization header must be 'Bearer <token>'", _CHALLENGE
        )
    record = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token.strip()))
    )
    if record is None or record.expires_at <= utcnow():
        raise ApiError(
            401,
            "invalid_token",
            "the token is unknown, revoked or expired; sign in again",
            _CHALLENGE,
        )
    record.last_used_at = utcnow()
    session.commit()
    g.token_id = record.id
    return record.account


def _account_for_cookie(session: Session) -> Account:
    row = sessions.resolve(
        session, request.cookies.get(sessions.COOKIE), current_app.config["HOMEWARD"]
    )
    if row is None:
        raise ApiError(
            401, "missing_token", "sign in, or send Authorization: Bearer <token>", _CHALLENGE
        )
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
        if not hmac.compare_digest(sent, row.csrf_token):
            raise ApiError(
                403,
                "csrf",
                "the form is stale or came from another site; reload the page and try again",
            )
    g.web_session = row
    return row.account


def current_account(session: Session) -> Account:
    """The caller: a bearer token wins over a session cookie (and needs no CSRF token)."""
    header = request.headers.get("Authorization")
    if header:
        return _account_for_bearer(session, header)
    return _account_for_cookie(session)


def login_required(*roles: str) -> Callable[[F], F]:
    """Require a signed-in caller (and one of ``roles``, when given); sets ``g.account``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from service.db import db

            account = current_account(db.session)
            if roles and account.role not in roles:
                raise ApiError(403, "wrong_role", f"this needs a {' or '.join(roles)} account")
            g.account = account
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
