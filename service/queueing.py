"""Putting transcription work on the RQ queue, by dotted path so the web never imports workers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry
from rq.job import Job

from service.config import Settings

log = logging.getLogger(__name__)

#: The job the worker runs; named, not imported, so the web process never loads torch.
TRANSCRIBE_JOB = "workers.jobs.transcribe_note"

_EXTENSION = "homeward.redis"
#: Failed job records are kept a week for diagnosis, then expire (they hold ids only).
FAILURE_TTL_S = 7 * 24 * 3600
RESULT_TTL_S = 3600
RETRY_INTERVALS_S = [10, 30, 90]


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[_EXTENSION] = Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
    )


def redis_connection(app: Flask | None = None) -> Redis:
    connection: Redis = (app or current_app).extensions[_EXTENSION]
    return connection


def transcription_queue(connection: Redis, settings: Settings) -> Queue:
    return Queue(settings.queue_name, connection=connection)


def job_id_for(note_id: str) -> str:
    # One job id per note: enqueueing the same note twice replaces, never duplicates, its job.
    return f"transcribe-{note_id}"


def job_timeout(settings: Settings, duration_s: float | None) -> int:
    """A limit that scales with the note, since a CPU transcribes an hour-long note for minutes."""
    return int(settings.job_timeout_base_s + settings.job_timeout_per_audio_s * (duration_s or 0))


def enqueue_transcription(
    connection: Redis, settings: Settings, note_id: str, duration_s: float | None
) -> Job:
    """Queue the transcription of one note; the payload is the note id and nothing else."""
    queue = transcription_queue(connection, settings)
    retry: Any = (
        Retry(max=settings.job_retries, interval=RETRY_INTERVALS_S)
        if (settings.job_retries)
        else None
    )
    return queue.enqueue(
        TRANSCRIBE_JOB,
        note_id,
        job_id=job_id_for(note_id),
        job_timeout=job_timeout(settings, duration_s),
        retry=retry,
        failure_ttl=FAILURE_TTL_S,
        result_ttl=RESULT_TTL_S,
        description=f"transcribe note {note_id}",
    )


def cancel_transcription(connection: Redis, note_id: str) -> None:
    """Remove a note's job from Redis, wherever it is; used when a note is deleted."""
    try:
        job = Job.fetch(job_id_for(note_id), connection=connection)
    except Exception:  # noqa: BLE001 - no such job is the common case
        return
    job.cancel()
    job.delete()
