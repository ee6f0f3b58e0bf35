"""The reconciler: the database is the truth, Redis only carries work.

It finds notes that are ``queued`` or ``processing`` but have had no live job for a while and
queues them again. That covers an upload whose enqueue failed, a Redis that lost its data, and a
job whose worker died mid-note (SIGKILL, out of memory). Workers run it at start and on a
schedule, one at a time (a Redis lock).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from flask import Flask
from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import delete, select

from service import queueing
from service.config import Settings
from service.db import db
from service.models import Note, utcnow

log = logging.getLogger(__name__)

LOCK_KEY = "homeward:reconcile-lock"
ALIVE_PREFIX = "homeward:worker-alive:"
#: Idempotency keys are promised for at least 24 hours; they are purged after two days.
IDEMPOTENCY_KEEP = timedelta(days=2)
WAITING = {JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def alive_key(worker_name: str) -> str:
    """The liveness key of a worker process; RQ names are ``<process name>.<attempt>``."""
    return ALIVE_PREFIX + worker_name.split(".", 1)[0]


def notes_in_hand(connection: Redis) -> set[str]:
    """The notes that live workers say they are transcribing right now."""
    keys = list(connection.scan_iter(ALIVE_PREFIX + "*"))
    values = connection.mget(keys) if keys else []
    return {v.decode() for v in values if v and v != b"-"}


def job_is_live(connection: Redis, note_id: str) -> bool:
    """True while the note's job waits in the queue or runs on a worker that is still alive."""
    try:
        job = Job.fetch(queueing.job_id_for(note_id), connection=connection)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in WAITING:
        return True
    if status == JobStatus.STARTED:
        return bool(job.worker_name and connection.exists(alive_key(job.worker_name)))
    return False


def _requeue(connection: Redis, settings: Settings, note: Note) -> None:
    # Drop what is left of the lost job from every registry before queueing it again.
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(queueing.job_id_for(note.id), connection=connection).delete()
    queueing.enqueue_transcription(connection, settings, note.id, note.duration_s)
    if note.status == "processing":
        note.status, note.progress = "queued", 0.0


def reconcile(app: Flask, connection: Redis) -> list[str]:
    """Queue again every stale queued or processing note without a live job; return their ids."""
    settings: Settings = app.config["HOMEWARD"]
    cutoff = utcnow() - timedelta(seconds=settings.reconcile_after_s)
    requeued: list[str] = []
    in_hand = notes_in_hand(connection)
    with app.app_context():
        stale = db.session.scalars(
            select(Note).where(Note.status.in_(("queued", "processing")), Note.updated_at < cutoff)
        )
        for note in stale:
            if note.id in in_hand or job_is_live(connection, note.id):
                continue
            if note.status == "processing" and note.attempts > settings.job_retries:
                # Its worker died every time (a note that crashes the decoder or exhausts
                # memory): stop, and say so, rather than kill workers forever.
                note.status, note.error_code = "failed", "transcription_interrupted"
                note.error_message = (
                    "transcription stopped each time it was tried; retry the "
                    "note, or upload it again in a shorter piece"
                )
                continue
            _requeue(connection, settings, note)
            requeued.append(note.id)
        _purge_idempotency_keys()
        db.session.commit()
    if requeued:
        log.warning("queued %d note(s) again whose job was lost", len(requeued))
    return requeued


def _purge_idempotency_keys() -> None:
    from service.models import IdempotencyKey

    db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - IDEMPOTENCY_KEEP)
    )


def reconcile_once(app: Flask, connection: Redis) -> list[str]:
    """Run one pass unless another worker holds the lock right now."""
    settings: Settings = app.config["HOMEWARD"]
    lock = connection.lock(
        LOCK_KEY, timeout=max(60, settings.reconcile_interval_s * 2), blocking=False
    )
    if not lock.acquire(blocking=False):
        return []
    try:
        return reconcile(app, connection)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - the lock expired on its own; nothing to undo
            log.debug("reconcile lock already gone")
