"""faster-whisper (CTranslate2): the default, faster engine."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
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


#: glibc's mallopt parameter for the most memory arenas (malloc.h's M_ARENA_MAX).
M_ARENA_MAX = -8


def share_one_heap() -> bool:
    """Make every thread of this process allocate from glibc's main heap.

    By default each decoding thread gets a heap of its own, and each keeps the peak of the
    buffers beam search allocated on it: with two replicas the worker peaked at about 930 MB on
    the benchmark's notes against 735 MB with one heap, for about 5 % more time (lock contention).
    Must run before the threads start. Returns False where the C library is not glibc.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, 1))
    except (OSError, AttributeError, TypeError):
        return False


def share_out(lengths: list[float], replicas: int, most: int) -> list[list[int]]:
    """Cut clips of these lengths into batches of at most ``most`` (lists of clip indices).

    At least one batch per replica while there are clips enough: two windows on two replicas
    are two batches of one decoded at once, not a batch of two on one replica while the other
    waits. When all the batches run at once (no more than one per replica), the clips are
    dealt longest first to the batch with the least audio, so that the last one to finish is
    as early as it can be (a 60 s note's windows of 30, 25 and 5 s: 30 alone, 25 with 5).
    Otherwise the batches follow the note in order, as even as they can be.
    """
    n = len(lengths)
    if not n:
        return []
    count = max(min(n, replicas), -(-n // most))
    if count <= replicas:
        batches: list[list[int]] = [[] for _ in range(count)]
        for index in sorted(range(n), key=lambda k: -lengths[k]):
            open_ = [b for b in batches if len(b) < most]
            min(open_, key=lambda b: sum(lengths[k] for k in b)).append(index)
        return sorted((sorted(b) for b in batches if b), key=lambda b: -max(lengths[k] for k in b))
    size, extra = divmod(n, count)
    batches, start = [], 0
    for k in range(count):
        end = start + size + (1 if k < extra else 0)
        batches.append(list(range(start, end)))
        start = end
    return batches


def _heard(seg: Any) -> bool:
    """A segment of faster-whisper's worth keeping: not one Whisper invented (workers/speech)."""
    return not is_invented(seg.text, seg.no_speech_prob, seg.avg_logprob, seg.compression_ratio)


class FasterWhisperEngine:
    """Loads a CTranslate2 Whisper model once and transcribes many notes with it.

    The sequential decoder runs one model with all the worker's threads. The batched pipeline
    runs one single-threaded replica of the model per thread instead (CTranslate2 shares the
    weights between them), each decoding its own batch of windows at the same time: a step of
    beam search on a small batch is too short to keep two threads busy: two replicas decoded
    eight windows in 9.0 s against 11.2 s for one model with two threads (0.056 against 0.058
    RTF over the whole pipeline), in the same memory once glibc keeps one heap
    (docs/performance.md).
    """

    name = "faster-whisper"

    def __init__(self, source: ModelSource, options: EngineOptions, cache_dir: Path) -> None:
        from faster_whisper import WhisperModel

        self.options = options
        self.model_name = source.name
        # 0 would make CTranslate2 start 4 threads even on a 2-core machine.
        threads = options.cpu_threads or len(os.sched_getaffinity(0))
        batched = options.batch_size > 1
        # Each replica decodes batch_size / replicas windows, so that batch_size windows are in
        # flight in all; at least two windows per replica, or batching does nothing.
        replicas = options.decoder_replicas or min(threads, options.batch_size // 2)
        self.replicas = max(1, min(replicas, threads)) if batched else 1
        if self.replicas > 1 and not share_one_heap():
            log.info("could not limit the C library to one heap; memory may peak higher")
        path = str(source.path) if source.path else source.name

        def load(replicas: int) -> WhisperModel:
            return WhisperModel(
                path, device="cpu", compute_type=options.compute_type,
                cpu_threads=max(1, threads // replicas), num_workers=replicas,
                download_root=str(cache_dir),
            )  # fmt: skip

        self.model = load(1)
        # A pass with a single window (a short note, most second passes) cannot be shared out:
        # it runs on self.model with every thread; the replicas are a second, small copy
        # (tiny.en's int8 weights are about 40 MB).
        self.replicated = load(self.replicas) if self.replicas > 1 else self.model
        self.per_replica = max(1, options.batch_size // self.replicas)
        self._pipelines = threading.local()
        self._pool = (
            ThreadPoolExecutor(self.replicas, thread_name_prefix="homeward-decoder")
            if batched
            else None
        )

    def transcribe(
        self, audio: np.ndarray, progress: ProgressCallback | None = None
    ) -> Transcription:
        """Transcribe 16 kHz mono float32 audio, reporting progress as segments arrive."""
        duration = len(audio) / SAMPLE_RATE
        if self._pool is not None:
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
        first, language = self._decode_clips(audio, [w.clip() for w in spans], progress)
        gaps = []
        for window, found in zip(spans, first, strict=True):
            gaps += chunks.uncovered(window, [(s.start, s.end) for s in found])
        segments = [seg for found in first for seg in found]
        if gaps:
            log.debug("decoding %d stretch(es) of speech the first pass left out", len(gaps))
            second, _language = self._decode_clips(audio, chunks.gap_clips(gaps, duration))
            segments += [seg for found in second for seg in found]
        segments.sort(key=lambda s: s.start)
        return segments, language

    def _decode_clips(
        self,
        audio: np.ndarray,
        clips: list[dict[str, float]],
        progress: ProgressCallback | None = None,
    ) -> tuple[list[list[Any]], str]:
        """One batched pass over the given stretches of the note (seconds).

        The clips are cut into batches that the replicas decode at the same time. Returns the
        segments worth keeping of each clip, and the language. Progress is reported from this
        thread (the caller's database session is not the decoders' to touch), batch by batch.
        """
        assert self._pool is not None
        if len(clips) == 1:
            per_clip, language = self._decode_batch(audio, clips, self.model)
            if progress:
                progress(0.95)
            return per_clip, language
        lengths = [clip["end"] - clip["start"] for clip in clips]
        batches = share_out(lengths, self.replicas, self.per_replica)
        futures = [
            self._pool.submit(self._decode_batch, audio, [clips[k] for k in batch], self.replicated)
            for batch in batches
        ]
        found: list[list[Any]] = [[] for _ in clips]
        language = self.options.language or "en"
        done, total = 0.0, sum(lengths)
        try:
            for batch, future in zip(batches, futures, strict=True):
                per_clip, language = future.result()
                for k, segments in zip(batch, per_clip, strict=True):
                    found[k] = segments
                done += sum(lengths[k] for k in batch)
                if progress:
                    progress(min(0.95, done / total))
        except BaseException:
            # A job timeout or a failed batch: the batches not started yet are not decoded
            # for nothing while the worker goes on to its next note.
            for future in futures:
                future.cancel()
            raise
        return found, language

    def _decode_batch(
        self, audio: np.ndarray, clips: list[dict[str, float]], model: Any
    ) -> tuple[list[list[Any]], str]:
        """Decode one batch of clips with ``model``; the segments kept, per clip."""
        from faster_whisper import BatchedInferencePipeline

        # The pipeline object keeps a little state of its own: one per thread and model.
        pipelines = self._pipelines.__dict__
        pipeline = pipelines.get(id(model))
        if pipeline is None:
            pipeline = pipelines[id(model)] = BatchedInferencePipeline(model)
        # Timestamps keep tiny.en from stopping early in a long window, and give segments
        # shorter than a whole window, which the coverage check needs.
        segments_iter, info = pipeline.transcribe(
            audio, language=self.options.language, beam_size=self.options.beam_size,
            batch_size=len(clips), without_timestamps=False, clip_timestamps=clips,
        )  # fmt: skip
        windows = [chunks.Window(c["start"], c["end"]) for c in clips]
        per_clip: list[list[Any]] = [[] for _ in clips]
        for seg in segments_iter:
            if _heard(seg):
                per_clip[chunks.window_of(windows, seg.start)].append(seg)
        return per_clip, info.language
