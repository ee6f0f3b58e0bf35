"""The worker process: one engine loaded once, jobs run in this process (no fork per job).

RQ's default worker forks a child per job. CTranslate2 (faster-whisper) is not fork-safe and a
model loaded in the parent would be loaded again, or break, in each child; so Homeward runs RQ's
SimpleWorker, which executes jobs in the worker process itself, where the model stays loaded.
Crash isolation comes from running several worker processes under a supervisor (``homeward up``,
docker compose's restart policy) and from the reconciler, which queues again the note of a worker
that died (workers/reconcile.py).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from flask import Flask
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker
from rq.scheduler import RQScheduler

from service import queueing
from service.config import Settings
from workers.jobs import current_note
from workers.reconcile import alive_key, reconcile_once
from workers.runtime import start_runtime

log = logging.getLogger(__name__)

#: Waits between attempts when Redis is away, growing to the last value.
REDIS_BACKOFF_S = (1, 2, 5, 10)


class Housekeeper(threading.Thread):
    """Keeps this worker's liveness key fresh and runs the reconciler on schedule.

    The key lives three heartbeats: once a worker is killed, the job it held counts as
    abandoned within that time, and the next reconcile pass queues its note again.
    """

    def __init__(self, app: Flask, connection: Redis, worker_name: str) -> None:
        super().__init__(name="homeward-housekeeper", daemon=True)
        self.app, self.connection, self.worker_name = app, connection, worker_name
        self.settings: Settings = app.config["HOMEWARD"]
        self.stopped = threading.Event()

    def run(self) -> None:
        next_reconcile = 0.0
        # RQ's scheduler (which queues retries when their backoff is over) runs here rather
        # than in the separate process RQ would fork: that process outlives a SIGKILLed worker.
        scheduler = RQScheduler(
            [self.settings.queue_name],
            connection=self.connection,
            name=f"{self.worker_name}-scheduler",
        )
        while not self.stopped.is_set():
            try:
                # The key's value is the note in hand, so the reconciler never queues it twice.
                self.connection.set(
                    alive_key(self.worker_name),
                    current_note() or "-",
                    ex=self.settings.worker_heartbeat_s * 3,
                )
                if scheduler.acquire_locks():
                    scheduler.enqueue_scheduled_jobs()
                if time.monotonic() >= next_reconcile:
                    reconcile_once(self.app, self.connection)
                    next_reconcile = time.monotonic() + self.settings.reconcile_interval_s
            except RedisError as exc:
                log.warning("housekeeping skipped: Redis unreachable (%s)", type(exc).__name__)
            except Exception:
                log.exception("housekeeping failed; trying again")
            self.stopped.wait(self.settings.worker_heartbeat_s)


def run_worker(app: Flask, burst: bool = False, max_jobs: int | None = None) -> bool:
    """Load the engine, then work the transcription queue until stopped (or empty, in burst).

    A Redis outage does not end the process: the worker waits and reconnects.
    """
    runtime = start_runtime(app)
    connection = queueing.redis_connection(app)
    name = f"homeward-{socket.gethostname().replace('.', '-')}-{os.getpid()}"
    housekeeper = None if burst else Housekeeper(app, connection, name)
    if housekeeper is not None:
        housekeeper.start()
    attempt = 0
    try:
        while True:
            try:
                # A fresh name per attempt: RQ refuses a name whose registration is still live.
                worker = SimpleWorker(
                    [queueing.transcription_queue(connection, runtime.settings)],
                    connection=connection, name=f"{name}.{attempt}", maintenance_interval=30,
                )  # fmt: skip
                log.info("worker %s listening", worker.name)
                return worker.work(
                    burst=burst,
                    max_jobs=max_jobs,
                    with_scheduler=False,
                    logging_level=runtime.settings.log_level,
                )
            except (RedisConnectionError, RedisTimeoutError) as exc:
                wait = REDIS_BACKOFF_S[min(attempt, len(REDIS_BACKOFF_S) - 1)]
                log.warning(
                    "Redis unreachable (%s); reconnecting in %d s", type(exc).__name__, wait
                )
                attempt += 1
                time.sleep(wait)
    finally:
        if housekeeper is not None:
            housekeeper.stopped.set()
