"""faster-whisper (CTranslate2): the default, faster engine."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from workers.engines import chunks
from workers.engines.base import EngineOptions, ProgressCallback, Segment, Transcription
from workers.model_files import ModelSource
from workers.speech import is_invented

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
#: Silero VAD's speech probability threshold. Its default, 0.5, dropped whole sentences of noisy
#: speech recorded in a car; 0.3 kept them (docs/performance.md).
VAD_THRESHOLD = 0.3


def _heard(seg: Any) -> bool:
    """A segment of faster-whisper's worth keeping: not one Whisper invented (workers/speech)."""
    return not is_invented(seg.text, seg.no_speech_prob, seg.avg_logprob, seg.compression_ratio)


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
        if self.batched is not None:
            raw, language = self._batched(audio, duration, progress)
        else:
            raw, language = self._sequential(audio, duration, progress)
        segments = [Segment(start=seg.start, end=seg.end, text=seg.text.strip()) for seg in raw]
        if progress:
            progress(1.0)
        return Transcription(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=language,
            segments=segments,
            engine=self.name,
            model=self.model_name,
            duration_s=duration,
        )

    def _sequential(
        self, audio: np.ndarray, duration: float, progress: ProgressCallback | None
    ) -> tuple[list[Any], str]:
        """The model's own loop: one 30 s window after another, seeking past what it decoded.

        Returns the segments worth keeping, and the language.
        """
        segments_iter, info = self.model.transcribe(
            audio, language=self.options.language, beam_size=self.options.beam_size,
            vad_filter=self.options.vad_filter, vad_parameters={"threshold": VAD_THRESHOLD},
            condition_on_previous_text=False,
        )  # fmt: skip
        found = []
        for seg in segments_iter:  # a generator: decoding happens as we iterate
            if _heard(seg):
                found.append(seg)
            if progress and duration > 0:
                progress(min(1.0, seg.end / duration))
        return found, info.language

    def _batched(
        self, audio: np.ndarray, duration: float, progress: ProgressCallback | None
    ) -> tuple[list[Any], str]:
        """Windows of speech decoded in batches, then the speech they left out (chunks.py).

        Returns the segments worth keeping, in time order, and the language.
        """
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        vad = VadOptions(threshold=VAD_THRESHOLD, max_speech_duration_s=chunks.WINDOW_S)
        speech = [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE)
                  for s in get_speech_timestamps(audio, vad)]  # fmt: skip
        spans = chunks.windows(speech)
        if not spans:
            return [], self.options.language or "en"
        first, language = self._decode_clips(audio, [w.clip() for w in spans])
        per_window: list[list[Any]] = [[] for _ in spans]
        for seg in first:  # a generator: each batch is decoded as we iterate
            if _heard(seg):
                per_window[chunks.window_of(spans, seg.start)].append(seg)
            if progress and duration > 0:
                progress(min(0.95, seg.end / duration))
        gaps = []
        for window, found in zip(spans, per_window, strict=True):
            gaps += chunks.uncovered(window, [(s.start, s.end) for s in found])
        segments = [seg for found in per_window for seg in found]
        if gaps:
            log.debug("decoding %d stretch(es) of speech the first pass left out", len(gaps))
            second, _language = self._decode_clips(audio, chunks.gap_clips(gaps, duration))
            segments += [seg for seg in second if _heard(seg)]
        segments.sort(key=lambda s: s.start)
        return segments, language

    def _decode_clips(
        self, audio: np.ndarray, clips: list[dict[str, float]]
    ) -> tuple[Iterator[Any], str]:
        """One batched pass over the given stretches of the note (seconds)."""
        assert self.batched is not None
        # Timestamps keep tiny.en from stopping early in a long window, and give segments
        # shorter than a whole window, which the coverage check needs.
        segments_iter, info = self.batched.transcribe(
            audio, language=self.options.language, beam_size=self.options.beam_size,
            batch_size=self.options.batch_size, without_timestamps=False,
            clip_timestamps=clips,
        )  # fmt: skip
        return iter(segments_iter), info.language
