"""Transcription engines, one module each, imported only when chosen."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from workers.engines.base import Engine, EngineOptions
from workers.model_files import resolve_model

log = logging.getLogger(__name__)

# name -> "module:class"; the module is imported on first use so a worker loads one engine only.
ENGINES = {
    "faster-whisper": "workers.engines.faster_whisper:FasterWhisperEngine",
    "openai-whisper": "workers.engines.openai_whisper:OpenAIWhisperEngine",
}


def load_engine(name: str, model: str, options: EngineOptions, cache_dir: Path) -> Engine:
    """Import and construct engine ``name`` with ``model``; this loads the weights."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    module_name, class_name = ENGINES[name].split(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    source = resolve_model(model)
    log.info("loading engine %s with model %s", name, source.name)
    engine: Engine = engine_class(source, options, cache_dir)
    return engine
