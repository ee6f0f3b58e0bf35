"""Serving a note's audio: decrypted into memory, sent with range support, never cached."""

from __future__ import annotations

import os
from typing import Any

from flask import current_app, request, send_file

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
        conditional=False,
        etag=False,
        max_age=0,
    )
    # send_file cannot size an in-memory file, so it would answer every Range request with the
    # whole file and players could not seek (Safari does not play audio without ranges at all).
    size = os.fstat(plain.fileno()).st_size
    response.content_length = size
    response = response.make_conditional(request.environ, accept_ranges=True, complete_length=size)
    response.headers["Cache-Control"] = "no-store"
    return response
