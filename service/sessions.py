"""Server-side web sessions: a random id in an HttpOnly cookie, its hash in the database.

A session ends on sign-out, on a password change, when the account is erased, after
``session_idle_minutes`` unused, and ``session_max_hours`` after sign-in, whichever comes first.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, request
from sqlalchemy import delete
from sqlalchemy.orm import Session

from service.config import Settings
from service.models import Account, WebSession, utcnow

COOKIE = "homeward_session"
#: last_seen_at is written at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start(session: Session, account: Account) -> tuple[str, WebSession]:
    """Create a session for ``account``; returns the cookie value (shown once) and the row."""
    raw = secrets.token_urlsafe(32)
    row = WebSession(
        id_hash=_hash(raw), account_id=account.id, csrf_token=secrets.token_urlsafe(32)
    )
    session.add(row)
    session.commit()
    return raw, row


def resolve(session: Session, raw: str | None, settings: Settings) -> WebSession | None:
    """The live session behind a cookie value, or None (expired ones are deleted)."""
    if not raw:
        return None
    row = session.get(WebSession, _hash(raw))
    if row is None:
        return None
    now = utcnow()
    idle = now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
    too_old = now - row.created_at > timedelta(hours=settings.session_max_hours)
    if idle or too_old:
        session.delete(row)
        session.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return row


def end(session: Session, raw: str | None) -> None:
    if raw:
        session.execute(delete(WebSession).where(WebSession.id_hash == _hash(raw)))
        session.commit()


def end_all(session: Session, account_id: str) -> None:
    """Sign the account out everywhere (the caller commits)."""
    session.execute(delete(WebSession).where(WebSession.account_id == account_id))


def set_cookie(response: Response, raw: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE, raw, max_age=settings.session_max_hours * 3600, httponly=True,
        samesite="Lax", secure=request.is_secure, path="/",
    )  # fmt: skip


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax")
