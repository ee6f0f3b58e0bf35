"""The small interface every transcription engine implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

#: Called with the fraction of the audio transcribed so far (0.0 to 1.0).
ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class Segment:
    """One stretch of speech, with times in seconds from the start of the note."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcription:
    """What an engine returns for one decoded note."""

    text: str
    language: str
    segments: list[Segment] = field(default_factory=list)
    engine: str = ""
    model: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True)
class EngineOptions:
    """Decoding options shared by the engines; each ignores what it cannot honour."""

    beam_size: int = 5
    language: str | None = "en"
    vad_filter: bool = False
    compute_type: str = "int8"
    cpu_threads: int = 0
    batch_size: int = 0
    #: Batched pipeline: single-threaded model replicas decoding at once (0: one per thread).
    decoder_replicas: int = 0


class Engine(Protocol):
    """Loaded once per worker process, then asked to transcribe many notes."""

    name: str
    model_name: str

    def transcribe(
        self, audio: np.ndarray, progress: ProgressCallback | None = None
    ) -> Transcription:
        """Transcribe 16 kHz mono float32 samples in [-1, 1]."""
        ...
