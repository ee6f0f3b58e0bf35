"""Turning an uploaded recording into a durable, queued note."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from sqlalchemy.orm import Session

from service import vault
from service.config import Settings
from service.errors import ApiError
from service.models import Note, NoteTag, new_id, utcnow
from service.sniff import AudioInfo, UnreadableAudio, UnsupportedAudio, probe, sniff_container
from service.storage import AudioStore, Incoming, TooLarge, fd_path

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
    remember: Callable[[Note], None] | None = None,
) -> Note:
    """Store the audio durably, check it is audio we can read, and record a queued note.

    ``remember`` is called with the new note just before it is committed, so that anything
    recorded about the upload (its Idempotency-Key) commits atomically with it.

    Nothing is kept when the audio is refused. The audio is checked in memory, then sealed,
    fsync'd and renamed into place before the row is committed, so a note row never points at
    audio that is not on disk, and no plaintext audio ever reaches the disk.
    """
    try:
        incoming = store.incoming(stream, settings.max_upload_mb << 20)
    except TooLarge as exc:
        raise ApiError(413, "too_large", str(exc)) from None
    try:
        return _accept(session, store, settings, owner_id, incoming, fields, remember)
    finally:
        incoming.close()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _checked_audio(incoming: Incoming, settings: Settings) -> AudioInfo:
    try:
        container = sniff_container(incoming.head)
        info = probe(fd_path(incoming.handle), container, pass_fds=(incoming.handle.fileno(),))
    except UnsupportedAudio as exc:
        raise ApiError(415, "unsupported_audio", str(exc)) from None
    except UnreadableAudio as exc:
        raise ApiError(422, "unreadable_audio", str(exc)) from None
    if info.duration_s > settings.max_duration_s:
        raise ApiError(
            422, "too_long",
            f"the recording is {_clock(info.duration_s)} long; "
            f"the limit is {_clock(settings.max_duration_s)}",
        )  # fmt: skip
    return info


def _accept(
    session: Session,
    store: AudioStore,
    settings: Settings,
    owner_id: str,
    incoming: Incoming,
    fields: NoteFields,
    remember: Callable[[Note], None] | None,
) -> Note:
    info = _checked_audio(incoming, settings)
    container = info.container
    note_id = new_id()
    relative = store.relative_path(owner_id, note_id, container)
    store.commit(incoming, relative, vault.keys_for(owner_id), note_id)
    note = Note(
        id=note_id,
        owner_id=owner_id,
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
    vault.set_title(note, fields.title)
    session.add(note)
    if remember is not None:
        remember(note)
    try:
        session.commit()
    except Exception:
        session.rollback()
        store.delete(relative)
        raise
    log.info("note %s stored: %s, %.1f s", note.id, container, info.duration_s)
    return note
