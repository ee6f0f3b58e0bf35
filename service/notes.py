"""The client's notes: create, read, list, edit and delete, without Flask.

Every function takes the acting owner's id and never returns another account's note: a note that
is not yours is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from service import search, vault
from service.errors import ApiError, not_found
from service.models import NOTE_AS_SHOWN, Note, NoteTag, utcnow

STATUSES = ("queued", "processing", "transcribed", "failed")
TAG_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(:[a-z0-9][a-z0-9_-]*)?$")
MAX_TAGS = 50
MAX_TITLE = 200


@dataclass(frozen=True)
class TimelineQuery:
    tag: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = 20
    q: str | None = None  # full-text search: every word must be in the note


def parse_tags(raw: str | list[str] | None) -> list[str]:
    """Normalise client tags (comma-separated or a list) to unique lower-case names."""
    if raw is None:
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    names: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ApiError(422, "invalid_tags", "tags must be strings")
        name = item.strip().lower().replace(" ", "-")
        if not name:
            continue
        if len(name) > 80 or not TAG_NAME.match(name):
            raise ApiError(
                422, "invalid_tags",
                f"tag {item.strip()!r} may hold letters, digits, '-' and '_', "
                "with at most one ':' (as in tool:breathing)",
            )  # fmt: skip
        if name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ApiError(422, "invalid_tags", f"at most {MAX_TAGS} tags on one note")
    return names


def parse_mood(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        mood = int(raw)
    except (TypeError, ValueError):
        mood = 0
    if isinstance(raw, bool) or str(mood) != str(raw).strip() or not 1 <= mood <= 10:
        raise ApiError(422, "invalid_mood", "mood must be a whole number from 1 to 10")
    return mood


def parse_title(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw.strip()) > MAX_TITLE:
        raise ApiError(
            422, "invalid_title", f"title must be text of at most {MAX_TITLE} characters"
        )
    return raw.strip()


def owned_note(session: Session, owner_id: str, note_id: str) -> Note:
    note = session.get(Note, note_id) if len(note_id) <= 32 else None
    if note is None or note.owner_id != owner_id:
        raise not_found()
    return note


def set_client_tags(note: Note, names: list[str]) -> None:
    """Make the note's visible tags exactly ``names``.

    An auto tag left out becomes a tombstone (``removed``) so that tagging the transcript again
    never brings back a tag the client took away; a client tag left out is deleted.
    """
    wanted = set(names)
    by_name = {tag.name: tag for tag in note.tags}
    for tag in list(note.tags):
        if tag.name in wanted:
            tag.removed = False
        elif tag.source == "auto":
            tag.removed = True
        else:
            note.tags.remove(tag)
    for name in names:
        if name not in by_name:
            note.tags.append(NoteTag(name=name, source="client"))


def _encode_cursor(note: Note) -> str:
    raw = f"{note.recorded_at.isoformat()}|{note.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, note_id = raw.split("|", 1)
        return datetime.fromisoformat(stamp), note_id
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "invalid_cursor", "cursor is not one this server gave out") from None


def list_notes(
    session: Session, owner_id: str, query: TimelineQuery
) -> tuple[list[Note], str | None]:
    """Return one page of the owner's timeline, newest recording first, and the next cursor."""
    stmt = select(Note).where(Note.owner_id == owner_id).options(*NOTE_AS_SHOWN)
    if query.status:
        stmt = stmt.where(Note.status == query.status)
    if query.since:
        stmt = stmt.where(Note.recorded_at >= query.since)
    if query.until:
        stmt = stmt.where(Note.recorded_at < query.until)
    if query.tag:
        tagged = select(NoteTag.note_id).where(
            NoteTag.name == query.tag, NoteTag.removed.is_(False)
        )
        stmt = stmt.where(Note.id.in_(tagged))
    if query.q:
        stmt = stmt.where(search.matches(session, owner_id, query.q))
    if query.cursor:
        stamp, last_id = _decode_cursor(query.cursor)
        stmt = stmt.where(
            or_(Note.recorded_at < stamp, and_(Note.recorded_at == stamp, Note.id < last_id))
        )
    stmt = stmt.order_by(Note.recorded_at.desc(), Note.id.desc()).limit(query.limit + 1)
    notes = list(session.scalars(stmt))
    next_cursor = _encode_cursor(notes[query.limit - 1]) if len(notes) > query.limit else None
    return notes[: query.limit], next_cursor


def touch(note: Note) -> None:
    note.updated_at = utcnow()


def parse_moment(raw: str | None, field: str) -> datetime | None:
    """Parse an ISO 8601 moment; one without an offset is taken as UTC."""
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except (ValueError, AttributeError):
        raise ApiError(
            422, f"invalid_{field}", f"{field} must be an ISO 8601 date-time such as "
            "2026-11-25T18:30:00+01:00",
        ) from None  # fmt: skip
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def transcript_payload(note: Note) -> dict[str, Any] | None:
    text = vault.transcript_of(note)
    if text is None:
        return None
    return {
        "text": text,
        "no_speech": note.no_speech,
        "language": note.transcript_language,
        "engine": note.transcript_engine,
        "model": note.transcript_model,
        "segments": [
            {
                "start": round(s.start, 2),
                "end": round(s.end, 2),
                "text": vault.segment_text(note, s),
            }
            for s in note.segments
        ],
    }


def _evidence(spans: list[dict[str, Any]] | None, text: str | None) -> list[dict[str, Any]] | None:
    # Only offsets are stored; the words are cut from the decrypted transcript.
    if spans is None or text is None:
        return None
    return [{**span, "text": text[int(span["start"]) : int(span["end"])]} for span in spans]


def shares_payload(note: Note) -> list[dict[str, Any]]:
    return [
        {
            "therapist_id": s.therapist_id,
            "email": s.therapist.email,
            "include_audio": s.include_audio,
            "shared_at": _iso(s.created_at),
        }
        for s in sorted(note.shares, key=lambda share: share.created_at)
    ]


def note_payload(note: Note, for_owner: bool = True) -> dict[str, Any]:
    """The note as the API shows it: to its owner, or (``for_owner=False``) to a therapist."""
    error = {"code": note.error_code, "message": note.error_message} if note.error_code else None
    transcript = transcript_payload(note)
    text = transcript["text"] if transcript else None
    payload = {
        "id": note.id,
        "status": note.status,
        "progress": round(note.progress, 3),
        "error": error,
        "title": vault.title_of(note),
        "recorded_at": _iso(note.recorded_at),
        "created_at": _iso(note.created_at),
        "duration_s": round(note.duration_s, 2) if note.duration_s is not None else None,
        "mood": note.mood,
        "mood_source": note.mood_source,
        "tags": [
            {
                "name": t.name,
                "source": t.source,
                "status": t.status,
                "evidence": _evidence(t.evidence, text),
            }
            for t in sorted(note.tags, key=lambda tag: tag.name)
            if not t.removed
        ],
        "shared_with": shares_payload(note) if for_owner else [],
        "transcript": transcript,
    }
    if not for_owner:
        payload["client_id"] = note.owner_id
    return payload
