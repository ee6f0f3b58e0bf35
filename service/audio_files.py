"""Serving a note's audio: decrypted into memory, sent with range support, never cached."""

from __future__ import annotations

from typing import Any

from flask import current_app, send_file

from service import vault
from service.models import Note

MEDIA_TYPES = {
    "mp4": "audio/mp4", "webm": "audio/webm", "ogg": "audio/ogg", "mp3": "audio/mpeg",
    "wav": "audio/wav", "flac": "audio/flac", "amr": "audio/amr", "aac": "audio/aac",
}  # fmt: skip


def audio_response(note: Note) -> Any:
    store = current_app.extensions["homeward.audio"]
    plain = store.open_plain(note.audio_path, vault.keys_for(note.owner_id), note.id)
    response = send_file(
        plain,
        mimetype=MEDIA_TYPES.get(note.audio_container, "audio/mpeg"),
        conditional=True,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
