"""Leaving and taking your data: export everything as a zip, or erase the account entirely."""

from __future__ import annotations

import json
import logging
import zipfile
from typing import BinaryIO

from redis import Redis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service import audit, queueing, ratelimit, vault
from service.formats import render
from service.models import Account, Note
from service.notes import note_payload
from service.storage import AudioStore, memory_file
from service.transcripts import TimedSpan

log = logging.getLogger(__name__)


def _stem(note: Note) -> str:
    return f"{note.recorded_at:%Y-%m-%d_%H%M}-{note.id[:8]}"


def export_zip(session: Session, store: AudioStore, account: Account) -> BinaryIO:
    """Everything the client owns, in a zip held in memory (plaintext never reaches the disk)."""
    notes = list(
        session.scalars(select(Note).where(Note.owner_id == account.id).order_by(Note.recorded_at))
    )
    out = memory_file("homeward-export")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        payloads = []
        for note in notes:
            payload = note_payload(note)
            payloads.append(payload)
            _add_note_files(archive, store, note, payload)
        archive.writestr(
            "notes.json",
            json.dumps(
                {"account": {"id": account.id, "email": account.email}, "notes": payloads},
                ensure_ascii=False,
                indent=2,
            ),
        )
        archive.writestr(
            "access-log.json",
            json.dumps(audit.events_for(session, account.id, limit=100_000), indent=2),
        )
    audit.record(session, account.id, account, "export")
    session.commit()
    out.seek(0)
    return out


def _add_note_files(
    archive: zipfile.ZipFile, store: AudioStore, note: Note, payload: dict[str, object]
) -> None:
    transcript = payload["transcript"]
    if isinstance(transcript, dict):
        spans = [TimedSpan(s["start"], s["end"], s["text"]) for s in transcript["segments"]]
        for fmt in ("txt", "srt", "vtt"):
            archive.writestr(
                f"transcripts/{_stem(note)}.{fmt}", render(fmt, transcript["text"], spans, payload)
            )
    container = note.audio_container.replace("mp4", "m4a")
    keys = vault.keys_for(note.owner_id)
    with (
        store.open_plain(note.audio_path, keys, note.id) as plain,
        archive.open(f"audio/{_stem(note)}.{container}", "w") as target,
    ):
        while chunk := plain.read(1 << 20):
            target.write(chunk)


def erase_account(session: Session, store: AudioStore, connection: Redis, account: Account) -> None:
    """Delete the account and everything derived from it: rows, audio, index, jobs, keys.

    Notes go first, one by one, so the search index triggers see every delete; then the
    account row, whose foreign keys cascade to tokens, sessions, links, shares, invites and
    its access log. Erasing the wrapped key makes any copy of its ciphertext in a backup
    unreadable.
    """
    note_ids = list(session.scalars(select(Note.id).where(Note.owner_id == account.id)))
    for note_id in note_ids:
        try:
            queueing.cancel_transcription(connection, note_id)
        except Exception as exc:  # noqa: BLE001 - a job left behind finds no note and stops
            log.warning("could not cancel a job of an erased account: %s", type(exc).__name__)
    session.execute(delete(Note).where(Note.owner_id == account.id))
    email = account.email
    session.delete(account)
    session.commit()
    store.delete_owner(account.id)
    ratelimit.forget(connection, ratelimit.subject_key("email", email))
    log.info("account %s erased with %d notes", account.id, len(note_ids))
