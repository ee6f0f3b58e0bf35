"""Sealed fields of notes, read and written with their owner's key.

Views, jobs and the CLI go through these functions; nothing else touches ciphertext.
"""

from __future__ import annotations

import re
import unicodedata

from flask import Flask, current_app, g

from service.crypto import ClientKeys, Keyring, load_master_key
from service.db import db
from service.models import Account, Note, Segment

_EXTENSION = "homeward.keyring"
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = None  # loaded on first use: `homeward transcribe` needs none


def keyring(app: Flask | None = None) -> Keyring:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ring: Keyring | None = app.extensions.get(_EXTENSION)
    if ring is None:
        settings = app.config["HOMEWARD"]
        ring = Keyring(load_master_key(settings.master_key, settings.master_key_file))
        app.extensions[_EXTENSION] = ring
    return ring


def keys_for(owner_id: str) -> ClientKeys:
    """The owner's keys, unwrapped once per request or job."""
    cache: dict[str, ClientKeys] = g.setdefault("client_keys", {})
    if owner_id not in cache:
        account = db.session.get(Account, owner_id)
        if account is None:
            raise LookupError(f"no account {owner_id}")
        cache[owner_id] = keyring().client_keys(owner_id, account.wrapped_key)
    return cache[owner_id]


def title_of(note: Note) -> str:
    if not note.title_ct:
        return ""
    return keys_for(note.owner_id).open_text(note.id, "title", note.title_ct)


def set_title(note: Note, title: str) -> None:
    note.title_ct = keys_for(note.owner_id).seal_text(note.id, "title", title) if title else None
    reindex(note)


def transcript_of(note: Note) -> str | None:
    if note.transcript_ct is None:
        return None
    return keys_for(note.owner_id).open_text(note.id, "transcript", note.transcript_ct)


def set_transcript(note: Note, text: str) -> None:
    note.transcript_ct = keys_for(note.owner_id).seal_text(note.id, "transcript", text)
    reindex(note)


def segment_text(note: Note, segment: Segment) -> str:
    return keys_for(note.owner_id).open_text(
        note.id, f"segment:{segment.position}", segment.text_ct
    )


def new_segment(note: Note, position: int, start: float, end: float, text: str) -> Segment:
    sealed = keys_for(note.owner_id).seal_text(note.id, f"segment:{position}", text)
    return Segment(position=position, start=start, end=end, text_ct=sealed)


def normalise_words(text: str) -> list[str]:
    """Lower-case, accent-folded words: what the blind index and search both hash."""
    folded = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [m.group(0).replace("'", "") for m in WORD.finditer(plain)]


def blind_terms(owner_id: str, text: str) -> list[str]:
    keys = keys_for(owner_id)
    return sorted({keys.blind(word) for word in normalise_words(text)})


def reindex(note: Note) -> None:
    """Rebuild the note's blind index from its title and transcript."""
    text = f"{title_of(note)} {transcript_of(note) or ''}"
    note.search_terms = " ".join(blind_terms(note.owner_id, text))
