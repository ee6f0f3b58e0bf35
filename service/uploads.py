"""Turning an uploaded recording into a durable, queued note."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from sqlalchemy.orm import Session

from service.config import Settings
from service.errors import ApiError
from service.models import Note, NoteTag, new_id, utcnow
from service.sniff import UnreadableAudio, UnsupportedAudio, probe, sniff_container
from service.storage import AudioStore, TooLarge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoteFields:
    """The form fields that may come with the audio, already validated."""

    title: str = ""
    recorded_at: datetime | None = None
    mood: int | None = None
    tags: list[str] = field(default_factory=list)


def accept_upload(
    session: Session,
    store: AudioStore,
    settings: Settings,
    owner_id: str,
    stream: BinaryIO,
    fields: NoteFields,
) -> Note:
    """Store the audio durably, check it is audio we can read, and record a queued note.

    Nothing is kept when the audio is refused. The file is fsync'd and renamed into place
    before the row is committed, so a note row never points at audio that is not on disk.
    """
    try:
        incoming = store.incoming(stream, settings.max_upload_mb << 20)
    except TooLarge as exc:
        raise ApiError(413, "too_large", str(exc)) from None
    try:
        container = sniff_container(incoming.head)
        info = probe(incoming.path, container)
    except UnsupportedAudio as exc:
        store.discard(incoming)
        raise ApiError(415, "unsupported_audio", str(exc)) from None
    except UnreadableAudio as exc:
        store.discard(incoming)
        raise ApiError(422, "unreadable_audio", str(exc)) from None
    if info.duration_s > settings.max_duration_s:
        store.discard(incoming)
        raise ApiError(
            422, "too_long",
            f"the recording is {info.duration_s / 60:.0f} minutes long; "
            f"the limit is {settings.max_duration_s / 60:.0f} minutes",
        )  # fmt: skip
    note_id = new_id()
    relative = store.relative_path(owner_id, note_id, container)
    store.commit(incoming, relative)
    note = Note(
        id=note_id,
        owner_id=owner_id,
        title=fields.title,
        recorded_at=fields.recorded_at or utcnow(),
        status="queued",
        audio_path=relative,
        audio_container=container,
        audio_bytes=incoming.size,
        audio_sha256=incoming.sha256,
        duration_s=info.duration_s,
        mood=fields.mood,
        mood_source="client" if fields.mood is not None else None,
        tags=[NoteTag(name=name, source="client") for name in fields.tags],
    )
    session.add(note)
    try:
        session.commit()
    except Exception:
        session.rollback()
        store.delete(relative)
        raise
    log.info("note %s stored: %s, %.1f s", note.id, container, info.duration_s)
    return note
