"""The access log: every therapist read, share, revoke, link and sign-in, for the client to see.

Events name who, what and when, never any content of a note.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AccessEvent, Account

ACTIONS = (
    "sign_in", "sign_in_failed", "sign_out", "password_changed", "token_created",
    "token_revoked", "invite_created", "link_created", "link_ended", "note_shared",
    "share_revoked", "note_read", "audio_read", "export", "insights_read",
)  # fmt: skip


def record(
    session: Session,
    subject_id: str,
    actor: Account | None,
    action: str,
    note_id: str | None = None,
) -> None:
    """Add an event to ``subject_id``'s log (committed with the caller's transaction)."""
    assert action in ACTIONS, action
    session.add(
        AccessEvent(
            subject_id=subject_id,
            actor_id=actor.id if actor else None,
            actor_role=actor.role if actor else "anonymous",
            actor_email=actor.email if actor else "",
            action=action,
            note_id=note_id,
        )
    )


def events_for(
    session: Session, subject_id: str, limit: int = 200, before: int | None = None
) -> list[dict[str, Any]]:
    stmt = select(AccessEvent).where(AccessEvent.subject_id == subject_id)
    if before is not None:
        stmt = stmt.where(AccessEvent.id < before)
    stmt = stmt.order_by(AccessEvent.id.desc()).limit(limit)
    return [
        {
            "id": e.id,
            "at": e.at.isoformat().replace("+00:00", "Z"),
            "action": e.action,
            "actor": {"id": e.actor_id, "role": e.actor_role, "email": e.actor_email},
            "note_id": e.note_id,
        }
        for e in session.scalars(stmt)
    ]
