"""What a worker process holds for its whole life: the app, settings and one loaded engine."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask

from service.config import Settings
from service.storage import AudioStore
from workers.engines import load_engine
from workers.engines.base import Engine, EngineOptions

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    app: Flask
    settings: Settings
    engine: Engine
    audio_store: AudioStore


_runtime: Runtime | None = None
_lock = threading.Lock()


def engine_options(settings: Settings) -> EngineOptions:
    return EngineOptions(
        beam_size=settings.beam_size,
        vad_filter=settings.vad_filter,
        compute_type=settings.compute_type,
        cpu_threads=settings.cpu_threads,
        decoder_replicas=settings.decoder_replicas,
        batch_size=settings.batch_size,
    )


def start_runtime(app: Flask) -> Runtime:
    """Load the engine for this process; a second call returns the runtime already loaded."""
    global _runtime
    with _lock:
        if _runtime is None:
            settings: Settings = app.config["HOMEWARD"]
            engine = load_engine(
                settings.engine, settings.whisper_model, engine_options(settings),
                settings.resolved_model_cache_dir,
            )  # fmt: skip
            store: AudioStore = app.extensions["homeward.audio"]
            _runtime = Runtime(app=app, settings=settings, engine=engine, audio_store=store)
            log.info("engine %s loaded with model %s", engine.name, engine.model_name)
        return _runtime


def current_runtime() -> Runtime:
    """The process's runtime, created from the environment if the worker did not start one."""
    if _runtime is None:
        from service import create_app

        return start_runtime(create_app())
    return _runtime


def reset_runtime() -> None:
    """Forget the loaded runtime (tests that switch engines or databases)."""
    global _runtime
    with _lock:
        _runtime = None


def install_runtime(runtime: Runtime) -> None:
    """Use an already-built runtime in this process (tests share one loaded engine)."""
    global _runtime
    with _lock:
        _runtime = runtime
