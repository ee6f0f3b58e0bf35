"""Idempotent uploads: the same Idempotency-Key never makes a second note.

- same key, same audio and fields: the first answer again, nothing created;
- same key, different content: 422;
- same key while the first request is still in flight: 409.
Keys are per client and kept at least 24 hours (the reconciler purges them after two days).
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.errors import ApiError
from service.models import IdempotencyKey, utcnow
from service.uploads import NoteFields

KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
#: An in-flight claim older than this belongs to a request that died; it may be taken over.
ABANDONED_AFTER = timedelta(minutes=10)


def parse_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not KEY.match(raw):
        raise ApiError(
            422,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 visible ASCII characters",
        )
    return raw


def fingerprint(audio_sha256: str, fields: NoteFields) -> str:
    """What makes two uploads "the same": the audio bytes and every form field."""
    moment = fields.recorded_at.isoformat() if fields.recorded_at else ""
    parts = [audio_sha256, fields.title, moment, str(fields.mood), ",".join(fields.tags)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def claim(session: Session, owner_id: str, key: str) -> tuple[IdempotencyKey, bool]:
    """Claim ``key`` for this request: (row, True) when ours, (the earlier row, False) if not."""
    for _ in range(2):
        row = IdempotencyKey(owner_id=owner_id, key=key)
        session.add(row)
        try:
            session.commit()
            return row, True
        except IntegrityError:
            session.rollback()
        existing = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.owner_id == owner_id, IdempotencyKey.key == key
            )
        )
        if existing is None:
            continue  # released between our insert and our read: try again
        if existing.note_id is None and existing.created_at < utcnow() - ABANDONED_AFTER:
            session.delete(existing)
            session.commit()
            continue
        return existing, False
    raise ApiError(
        409,
        "idempotency_conflict",
        "another request with this Idempotency-Key is in progress; retry in a moment",
    )


def release(session: Session, row: IdempotencyKey) -> None:
    """Give the key back after a refused upload, so the client can fix it and retry."""
    session.rollback()
    session.delete(session.merge(row))
    session.commit()


def check_replay(row: IdempotencyKey, request_hash: str) -> str:
    """For a key used before: the note id to answer with, or 409/422."""
    if row.note_id is None:
        raise ApiError(
            409,
            "idempotency_conflict",
            "a request with this Idempotency-Key is still in progress; retry in a moment",
        )
    if row.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_mismatch",
            "this Idempotency-Key was used for a "
            "different recording or fields; use a new key for a new note",
        )
    return row.note_id
