"""The tables: accounts, their tokens, notes with transcript segments and tags."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    # Random ids: a note id reveals nothing about how many notes exist or whose they are.
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores every moment in UTC and hands it back aware, on SQLite as on PostgreSQL.

    SQLite keeps no offset: without this, 09:00+02:00 and 09:00Z would be stored alike and the
    timeline would sort them wrongly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The client's data key, wrapped by the master key (service/crypto.py).
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # Only a hash of the token is kept: a copy of the database does not let anyone sign in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)

    account: Mapped[Account] = relationship()


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_owner_recorded", "owner_id", "recorded_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # Sealed with the owner's key (service/crypto.py); never stored in plain text.
    title_ct: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    recorded_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    audio_path: Mapped[str] = mapped_column(String(300))
    audio_container: Mapped[str] = mapped_column(String(32))
    audio_bytes: Mapped[int] = mapped_column(Integer)
    audio_sha256: Mapped[str] = mapped_column(String(64))
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)

    mood: Mapped[int | None] = mapped_column(Integer, default=None)
    mood_source: Mapped[str | None] = mapped_column(String(16), default=None)

    transcript_ct: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    # Blind-index tokens (keyed hashes of the words), space-separated, for full-text search.
    search_terms: Mapped[str] = mapped_column(Text, default="")
    transcript_language: Mapped[str | None] = mapped_column(String(16), default=None)
    transcript_engine: Mapped[str | None] = mapped_column(String(32), default=None)
    transcript_model: Mapped[str | None] = mapped_column(String(200), default=None)
    transcribed_at: Mapped[datetime | None] = mapped_column(default=None)
    # True when the audio held no speech: the transcript is empty on purpose, not lost.
    no_speech: Mapped[bool] = mapped_column(default=False)

    segments: Mapped[list[Segment]] = relationship(
        order_by="Segment.position", cascade="all, delete-orphan", passive_deletes=True
    )
    tags: Mapped[list[NoteTag]] = relationship(
        order_by="NoteTag.name", cascade="all, delete-orphan", passive_deletes=True
    )
    shares: Mapped[list[Share]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text_ct: Mapped[bytes] = mapped_column(LargeBinary)


class NoteTag(Base):
    """A tag on a note: given by the client, or found in the transcript (``auto``)."""

    __tablename__ = "note_tags"
    __table_args__ = (UniqueConstraint("note_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    source: Mapped[str] = mapped_column(String(16))
    # An auto tag the client removed stays as a tombstone so re-tagging never brings it back.
    removed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str | None] = mapped_column(String(16), default=None)
    # Character spans into the transcript, never the words themselves.
    evidence: Mapped[list[dict[str, object]] | None] = mapped_column(JSON, default=None)


class WebSession(Base):
    """A signed-in browser. The cookie holds a random id; only its hash is stored."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()


class Invite(Base):
    """A short-lived, single-use code a client gives their therapist to link accounts."""

    __tablename__ = "invites"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Link(Base):
    """A client and a therapist who may see what the client shares."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("client_id", "therapist_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    therapist_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    client: Mapped[Account] = relationship(foreign_keys=[client_id])
    therapist: Mapped[Account] = relationship(foreign_keys=[therapist_id])


class Share(Base):
    """One note shared with one linked therapist; deleting the row revokes it."""

    __tablename__ = "shares"
    __table_args__ = (UniqueConstraint("note_id", "therapist_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    link_id: Mapped[str] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"), index=True)
    include_audio: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    therapist: Mapped[Account] = relationship()


class AccessEvent(Base):
    """Who did what to whose data, when; never any content."""

    __tablename__ = "access_events"
    __table_args__ = (Index("ix_access_events_subject_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The account whose data it was (the client), who reads this log.
    subject_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(32))
    note_id: Mapped[str | None] = mapped_column(String(32), default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """An upload's Idempotency-Key: a retry with the same key and content gets the first answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    # sha256 of the audio and the form fields; empty while the first request is in flight.
    request_hash: Mapped[str] = mapped_column(String(64), default="")
    note_id: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


#: What showing a note reads beside its row: its segments, tags, and shares with their therapists.
#: Loaded for a whole page of notes in a few queries, instead of a few queries for every note.
NOTE_AS_SHOWN = (
    selectinload(Note.segments),
    selectinload(Note.tags),
    selectinload(Note.shares).selectinload(Share.therapist),
)
