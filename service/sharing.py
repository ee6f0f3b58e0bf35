"""Linking a therapist and sharing notes with them: chosen, revocable, logged.

Private is the default. A therapist sees a note only while a share row for it exists, and only
while the link it was made under exists; every check reads the database, so a revoke takes
effect on the therapist's very next request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit
from service.errors import ApiError, not_found
from service.models import NOTE_AS_SHOWN, Account, Invite, Link, Note, Share, utcnow

# Codes are read aloud or typed on a phone: no 0/O or 1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def _code_hash(code: str) -> str:
    cleaned = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(cleaned.encode()).hexdigest()


def create_invite(session: Session, client: Account, ttl: timedelta) -> tuple[str, Invite]:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    invite = Invite(client_id=client.id, code_hash=_code_hash(raw), expires_at=utcnow() + ttl)
    session.add(invite)
    audit.record(session, client.id, client, "invite_created")
    session.commit()
    return f"{raw[:5]}-{raw[5:]}", invite


def redeem_invite(session: Session, therapist: Account, code: str) -> Link:
    """Link the therapist to the client who made ``code``; the code works once."""
    invite = session.scalar(select(Invite).where(Invite.code_hash == _code_hash(code or "")))
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        raise ApiError(
            404,
            "invalid_code",
            "that code is unknown, used or expired; ask your client for a new one",
        )
    invite.used_at = utcnow()
    existing = session.scalar(
        select(Link).where(Link.client_id == invite.client_id, Link.therapist_id == therapist.id)
    )
    if existing is not None:
        session.commit()
        return existing
    link = Link(client_id=invite.client_id, therapist_id=therapist.id)
    session.add(link)
    audit.record(session, invite.client_id, therapist, "link_created")
    try:
        session.commit()
    except IntegrityError:  # the same pair linked concurrently
        session.rollback()
        raise ApiError(409, "already_linked", "you are already linked to this client") from None
    return link


def links_of(session: Session, account: Account) -> list[Link]:
    column = Link.client_id if account.role == "client" else Link.therapist_id
    return list(session.scalars(select(Link).where(column == account.id).order_by(Link.created_at)))


def end_link(session: Session, account: Account, link_id: str) -> None:
    """Either side ends a link; every share made under it is revoked with it."""
    link = session.get(Link, link_id)
    if link is None or account.id not in (link.client_id, link.therapist_id):
        raise not_found("link")
    session.execute(delete(Share).where(Share.link_id == link.id))
    audit.record(session, link.client_id, account, "link_ended")
    session.delete(link)
    session.commit()


def linked(session: Session, client_id: str, therapist_id: str) -> Link | None:
    return session.scalar(
        select(Link).where(Link.client_id == client_id, Link.therapist_id == therapist_id)
    )


def share_note(
    session: Session, client: Account, note: Note, therapist_id: str, include_audio: bool
) -> Share:
    link = linked(session, client.id, therapist_id)
    if link is None:
        raise not_found("linked therapist")
    share = session.scalar(
        select(Share).where(Share.note_id == note.id, Share.therapist_id == therapist_id)
    )
    if share is None:
        share = Share(note_id=note.id, therapist_id=therapist_id, link_id=link.id)
        session.add(share)
    share.include_audio = include_audio
    audit.record(session, client.id, client, "note_shared", note.id)
    session.commit()
    return share


def revoke_share(session: Session, client: Account, note: Note, therapist_id: str) -> None:
    deleted = session.execute(
        delete(Share).where(Share.note_id == note.id, Share.therapist_id == therapist_id)
    )
    if not deleted.rowcount:  # type: ignore[attr-defined]
        raise not_found("share")
    audit.record(session, client.id, client, "share_revoked", note.id)
    session.commit()


def shared_note(
    session: Session, therapist: Account, client_id: str, note_id: str
) -> tuple[Note, Share]:
    """A note currently shared with this therapist under a live link, or 404."""
    row = session.execute(
        select(Note, Share)
        .join(Share, Share.note_id == Note.id)
        .join(Link, Link.id == Share.link_id)
        .where(
            Note.id == note_id,
            Note.owner_id == client_id,
            Share.therapist_id == therapist.id,
            Link.therapist_id == therapist.id,
        )
    ).first()
    if row is None:
        raise not_found()
    return row[0], row[1]


def shared_notes(session: Session, therapist: Account, client_id: str) -> list[tuple[Note, Share]]:
    if linked(session, client_id, therapist.id) is None:
        raise not_found("client")
    rows = session.execute(
        select(Note, Share)
        .join(Share, Share.note_id == Note.id)
        .where(Note.owner_id == client_id, Share.therapist_id == therapist.id)
        .order_by(Note.recorded_at.desc(), Note.id.desc())
        .options(*NOTE_AS_SHOWN)
    ).all()
    return [(row[0], row[1]) for row in rows]
