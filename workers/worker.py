"""The worker process: one engine loaded once, jobs run in this process (no fork per job).

RQ's default worker forks a child per job. CTranslate2 (faster-whisper) is not fork-safe and a
model loaded in the parent would be loaded again, or break, in each child; so Homeward runs RQ's
SimpleWorker, which executes jobs in the worker process itself, where the model stays loaded.
Crash isolation comes from running several worker processes under a supervisor (``homeward up``,
docker compose's restart policy) and from RQ's retries and abandoned-job detection.
"""

from __future__ import annotations

import logging
import os
import socket

from flask import Flask
from rq import SimpleWorker

from service import queueing
from workers.runtime import start_runtime

log = logging.getLogger(__name__)


def run_worker(app: Flask, burst: bool = False, max_jobs: int | None = None) -> bool:
    """Load the engine, then work the transcription queue until stopped (or empty, in burst)."""
    runtime = start_runtime(app)
    connection = queueing.redis_connection(app)
    queue = queueing.transcription_queue(connection, runtime.settings)
    worker = SimpleWorker(
        [queue],
        connection=connection,
        name=f"homeward-{socket.gethostname()}-{os.getpid()}",
        maintenance_interval=60,
    )
    log.info("worker %s listening on %s", worker.name, queue.name)
    return worker.work(
        burst=burst,
        max_jobs=max_jobs,
        with_scheduler=True,
        logging_level=runtime.settings.log_level,
    )
