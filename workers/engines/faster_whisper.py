"""faster-whisper (CTranslate2): the default, faster engine."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from workers.engines.base import EngineOptions, ProgressCallback, Segment, Transcription
from workers.model_files import ModelSource
from workers.speech import is_invented

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
#: Silero VAD's speech probability threshold. Its default, 0.5, dropped whole sentences of noisy
#: speech recorded in a car; 0.3 kept them (docs/performance.md).
VAD_THRESHOLD = 0.3


class FasterWhisperEngine:
    """Loads a CTranslate2 Whisper model once and transcribes many notes with it."""

    name = "faster-whisper"

    def __init__(self, source: ModelSource, options: EngineOptions, cache_dir: Path) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.options = options
        self.model_name = source.name
        self.model = WhisperModel(
            str(source.path) if source.path else source.name,
            device="cpu",
            compute_type=options.compute_type,
            # 0 would make CTranslate2 start 4 threads even on a 2-core machine.
            cpu_threads=options.cpu_threads or len(os.sched_getaffinity(0)),
            download_root=str(cache_dir),
        )
        self.batched = BatchedInferencePipeline(self.model) if options.batch_size > 1 else None

    def transcribe(
        self, audio: np.ndarray, progress: ProgressCallback | None = None
    ) -> Transcription:
        """Transcribe 16 kHz mono float32 audio, reporting progress as segments arrive."""
        duration = len(audio) / SAMPLE_RATE
        kwargs = {
            "language": self.options.language,
            "beam_size": self.options.beam_size,
            "vad_filter": self.options.vad_filter,
            "vad_parameters": {"threshold": VAD_THRESHOLD},
        }
        if self.batched is not None:
            # The batched pipeline cuts the note into chunks at the pauses VAD finds (without
            # VAD it has nothing to cut at, and refuses); timestamps keep tiny.en from stopping
            # early in a long chunk, and give segments shorter than a whole chunk.
            segments_iter, info = self.batched.transcribe(
                audio, batch_size=self.options.batch_size, without_timestamps=False,
                **{**kwargs, "vad_filter": True},
            )  # fmt: skip
        else:
            segments_iter, info = self.model.transcribe(
                audio, condition_on_previous_text=False, **kwargs
            )
        segments: list[Segment] = []
        for seg in segments_iter:  # a generator: decoding happens as we iterate
            if not is_invented(seg.text, seg.no_speech_prob, seg.avg_logprob,
                               seg.compression_ratio):
                segments.append(Segment(start=seg.start, end=seg.end, text=seg.text.strip()))
            if progress and duration > 0:
                progress(min(1.0, seg.end / duration))
        if progress:
            progress(1.0)
        return Transcription(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=info.language,
            segments=segments,
            engine=self.name,
            model=self.model_name,
            duration_s=duration,
        )
