"""The client's notes over HTTP: upload, timeline, read, edit, delete, transcript files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, BinaryIO

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from sqlalchemy import update

from service import idempotency, queueing, search, transcripts, vault
from service.audio_files import audio_response
from service.auth import login_required
from service.config import Settings
from service.db import db
from service.errors import ApiError
from service.formats import MEDIA_TYPES, render
from service.models import IdempotencyKey, Note, utcnow
from service.notes import (
    STATUSES,
    TimelineQuery,
    list_notes,
    note_payload,
    owned_note,
    parse_moment,
    parse_mood,
    parse_tags,
    parse_title,
    set_client_tags,
    touch,
)
from service.storage import AudioStore
from service.transcripts import TimedSpan
from service.uploads import NoteFields, accept_upload

bp = Blueprint("notes", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)


def settings() -> Settings:
    value: Settings = current_app.config["HOMEWARD"]
    return value


def audio_store() -> AudioStore:
    store: AudioStore = current_app.extensions["homeward.audio"]
    return store


@bp.post("/notes")
@login_required("client")
def create_note() -> Any:
    """Upload a voice note; answers 202 once the audio is on disk and its job is queued.
    ---
    post:
      summary: Upload a voice note
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: NoteUpload
      responses:
        202: {description: Stored and queued, content: {application/json: {schema: Note}}}
        400: {description: No audio field, content: {application/json: {schema: Error}}}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        413: {description: Over the size limit, content: {application/json: {schema: Error}}}
        415: {description: Not audio, content: {application/json: {schema: Error}}}
        422:
          description: Unreadable audio or bad field
          content: {application/json: {schema: Error}}
    """
    form = request.form
    fields = NoteFields(
        title=parse_title(form.get("title")),
        recorded_at=parse_moment(form.get("recorded_at"), "recorded_at"),
        mood=parse_mood(form.get("mood")),
        tags=parse_tags(form.get("tags")),
    )
    upload = request.files.get("audio")
    if upload is None:
        raise ApiError(
            400, "missing_audio", "send the recording as a file in the form field 'audio'"
        )
    key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
    claimed = idempotency.claim(db.session, g.account.id, key) if key else None
    if claimed is not None and not claimed[1]:
        return _replay(claimed[0], upload.stream, fields)
    remember = _remembering(claimed[0], fields) if claimed else None
    try:
        note = accept_upload(
            db.session, audio_store(), settings(), g.account.id, upload.stream, fields, remember
        )
    except Exception:
        if claimed is not None:
            idempotency.release(db.session, claimed[0])
        raise
    return _accepted(note)


def _remembering(row: IdempotencyKey, fields: NoteFields) -> Callable[[Note], None]:
    def remember(note: Note) -> None:
        row.note_id = note.id
        row.request_hash = idempotency.fingerprint(note.audio_sha256, fields)

    return remember


def _replay(row: IdempotencyKey, stream: BinaryIO, fields: NoteFields) -> Any:
    """The first answer for a repeated Idempotency-Key, if the content is the same."""
    incoming = audio_store().incoming(stream, settings().max_upload_mb << 20)
    try:
        request_hash = idempotency.fingerprint(incoming.sha256, fields)
    finally:
        incoming.close()
    note_id = idempotency.check_replay(row, request_hash)
    return _accepted(owned_note(db.session, g.account.id, note_id), enqueue=False)


def _accepted(note: Note, enqueue: bool = True) -> Any:
    """202 with the note and its Location; queue its job first (the reconciler backs this up)."""
    try:
        if enqueue:
            queueing.enqueue_transcription(
                queueing.redis_connection(), settings(), note.id, note.duration_s
            )
    except Exception as exc:  # noqa: BLE001 - the note is safe; the reconciler will queue it
        log.warning(
            "note %s stored but not queued (%s); it will be queued later",
            note.id,
            type(exc).__name__,
        )
    response = jsonify(note_payload(note))
    response.status_code = 202
    response.headers["Location"] = url_for("notes.get_note", note_id=note.id)
    return response


def _one_tag(raw: str | None) -> str | None:
    if not raw:
        return None
    names = parse_tags(raw)
    if len(names) != 1:
        raise ApiError(422, "invalid_tag", "filter by one tag, such as tool:breathing")
    return names[0]


def _timeline_query() -> TimelineQuery:
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ApiError(422, "invalid_status", f"status must be one of {', '.join(STATUSES)}")
    try:
        limit = int(args.get("limit", 20))
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise ApiError(422, "invalid_limit", "limit must be a whole number from 1 to 100")
    tag = args.get("tag") or None
    return TimelineQuery(
        tag=_one_tag(tag),
        status=status,
        since=parse_moment(args.get("since"), "since"),
        until=parse_moment(args.get("until"), "until"),
        cursor=args.get("cursor") or None,
        limit=limit,
        q=search.parse_query(args.get("q")),
    )


@bp.get("/notes")
@login_required("client")
def timeline() -> Any:
    """List the client's notes, newest recording first, a page at a time.

    With ``q``, only notes whose title or transcript hold every word of it (any case or accent),
    each with ``highlights``: passages with the offsets of the matched words.
    ---
    get:
      summary: The client's reflection timeline
      security: [{bearer: []}]
      parameters:
        - name: q
          in: query
          description: Words to search for; a note must contain all of them
          schema: {type: string, minLength: 1, maxLength: 200}
        - {name: tag, in: query, schema: {type: string}}
        - name: status
          in: query
          schema: {type: string, enum: [queued, processing, transcribed, failed]}
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: until, in: query, schema: {type: string, format: date-time}}
        - {name: cursor, in: query, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {description: One page, content: {application/json: {schema: Timeline}}}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        422: {description: Bad filter, content: {application/json: {schema: Error}}}
    """
    query = _timeline_query()
    notes, next_cursor = list_notes(db.session, g.account.id, query)
    payloads = [note_payload(n) for n in notes]
    if query.q:
        for payload, note in zip(payloads, notes, strict=True):
            payload["highlights"] = search.highlights(note, query.q)
    return jsonify({"notes": payloads, "next_cursor": next_cursor})


@bp.get("/notes/<note_id>")
@login_required("client")
def get_note(note_id: str) -> Any:
    """Read one note with its status, progress and transcript.
    ---
    get:
      summary: One note
      security: [{bearer: []}]
      parameters: [{name: note_id, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: The note, content: {application/json: {schema: Note}}}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        404: {description: No such note, content: {application/json: {schema: Error}}}
    """
    response = jsonify(note_payload(owned_note(db.session, g.account.id, note_id)))
    return response


@bp.patch("/notes/<note_id>")
@login_required("client")
def update_note(note_id: str) -> Any:
    """Edit a note's title, mood, tags or transcript text.
    ---
    patch:
      summary: Edit a note
      security: [{bearer: []}]
      parameters: [{name: note_id, in: path, required: true, schema: {type: string}}]
      requestBody: {required: true, content: {application/json: {schema: NotePatch}}}
      responses:
        200: {description: The edited note, content: {application/json: {schema: Note}}}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        404: {description: No such note, content: {application/json: {schema: Error}}}
        409: {description: Not transcribed yet, content: {application/json: {schema: Error}}}
        422: {description: Bad field, content: {application/json: {schema: Error}}}
    """
    note = owned_note(db.session, g.account.id, note_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not body:
        raise ApiError(
            422, "invalid_body", "send a JSON object with title, mood, tags or transcript"
        )
    unknown = set(body) - {"title", "mood", "tags", "transcript"}
    if unknown:
        raise ApiError(422, "unknown_field", f"cannot edit {', '.join(sorted(unknown))}")
    if "transcript" in body:
        text = body["transcript"]
        text = text.get("text") if isinstance(text, dict) else text
        if not isinstance(text, str):
            raise ApiError(422, "invalid_transcript", "transcript must be the new text")
        if note.transcript_ct is None:
            raise ApiError(409, "not_transcribed", "the note has no transcript to edit yet")
        transcripts.edit_transcript(note, text)
    if "title" in body:
        vault.set_title(note, parse_title(body["title"]))
    if "mood" in body:
        note.mood = parse_mood(body["mood"])
        note.mood_source = "client" if note.mood is not None else None
        if note.mood is None:
            transcripts.apply_auto_tags(note)  # fall back to the mood said in the note, if any
    if "tags" in body:
        set_client_tags(note, parse_tags(body["tags"]))
    touch(note)
    db.session.commit()
    return jsonify(note_payload(note))


@bp.delete("/notes/<note_id>")
@login_required("client")
def delete_note(note_id: str) -> Any:
    """Delete a note, its transcript, tags, queued job and audio file.
    ---
    delete:
      summary: Delete a note
      security: [{bearer: []}]
      parameters: [{name: note_id, in: path, required: true, schema: {type: string}}]
      responses:
        204: {description: Deleted}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        404: {description: No such note, content: {application/json: {schema: Error}}}
    """
    note = owned_note(db.session, g.account.id, note_id)
    audio_path = note.audio_path
    db.session.delete(note)
    db.session.commit()
    audio_store().delete(audio_path)
    try:
        queueing.cancel_transcription(queueing.redis_connection(), note_id)
    except Exception as exc:  # noqa: BLE001 - a job left behind finds no note and stops
        log.warning("could not cancel the job of deleted note %s: %s", note_id, type(exc).__name__)
    return Response(status=204)


@bp.post("/notes/<note_id>/retry")
@login_required("client")
def retry_note(note_id: str) -> Any:
    """Queue a failed note for transcription again.
    ---
    post:
      summary: Retry a failed note
      security: [{bearer: []}]
      parameters: [{name: note_id, in: path, required: true, schema: {type: string}}]
      responses:
        202: {description: Queued again, content: {application/json: {schema: Note}}}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        404: {description: No such note, content: {application/json: {schema: Error}}}
        409: {description: The note has not failed, content: {application/json: {schema: Error}}}
    """
    note = owned_note(db.session, g.account.id, note_id)
    # A conditional update: of two retries racing, one queues the note and the other gets 409.
    changed = db.session.execute(
        update(Note)
        .where(Note.id == note.id, Note.status == "failed")
        .values(
            status="queued",
            progress=0.0,
            attempts=0,
            error_code=None,
            error_message=None,
            updated_at=utcnow(),
        )
    )
    db.session.commit()
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise ApiError(
            409, "not_failed", f"the note is {note.status}; only a failed note can be retried"
        )
    db.session.refresh(note)
    return _accepted(note)


@bp.get("/notes/<note_id>/audio")
@login_required("client")
def note_audio(note_id: str) -> Any:
    """Play or download your note's audio (range requests supported).
    ---
    get:
      summary: A note's audio
      security: [{bearer: []}]
      parameters: [{name: note_id, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: The audio}
        206: {description: Part of the audio}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        404: {description: No such note, content: {application/json: {schema: Error}}}
    """
    return audio_response(owned_note(db.session, g.account.id, note_id))


@bp.get("/notes/<note_id>/transcript.<fmt>")
@login_required("client")
def transcript_file(note_id: str, fmt: str) -> Any:
    """Download the transcript as txt, srt, vtt or json.
    ---
    get:
      summary: The transcript as a file
      security: [{bearer: []}]
      parameters:
        - {name: note_id, in: path, required: true, schema: {type: string}}
        - {name: fmt, in: path, required: true, schema: {type: string, enum: [txt, srt, vtt, json]}}
      responses:
        200: {description: The transcript file}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        404: {description: No such note or format, content: {application/json: {schema: Error}}}
        409: {description: Not transcribed yet, content: {application/json: {schema: Error}}}
    """
    note = owned_note(db.session, g.account.id, note_id)
    if fmt not in MEDIA_TYPES:
        raise ApiError(404, "unknown_format", "transcripts come as .txt, .srt, .vtt or .json")
    payload = note_payload(note)
    transcript = payload["transcript"]
    if transcript is None:
        raise ApiError(409, "not_transcribed", f"the note is {note.status}; no transcript yet")
    spans = [TimedSpan(s["start"], s["end"], s["text"]) for s in transcript["segments"]]
    body = render(fmt, transcript["text"], spans, payload)
    response = Response(body, mimetype=MEDIA_TYPES[fmt])
    stem = f"homeward-{note.recorded_at:%Y-%m-%d}-{note.id[:8]}"
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response
