"""The openai-whisper engine: PyTorch Whisper, fed the bundled weights after conversion."""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from workers.engines.base import EngineOptions, ProgressCallback, Segment, Transcription
from workers.engines.ct2_checkpoint import alignment_heads_dump, cached_openai_checkpoint
from workers.model_files import ModelSource
from workers.speech import is_invented

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


class _ProgressRouter:
    """Routes openai-whisper's internal tqdm updates to the calling thread's callback.

    whisper.transcribe() reports progress only through ``tqdm.tqdm`` looked up on its own module,
    so the module's ``tqdm`` name is swapped while any engine call runs. Callbacks are kept per
    thread, so concurrent calls each hear only their own audio; the last one out restores it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved: Any = None
        self._local = threading.local()

    def _bar_class(self, real_tqdm: ModuleType) -> type:
        """Build a tqdm subclass that also reports its fraction done to this thread's callback."""
        local = self._local

        class ReportingBar(real_tqdm.tqdm):  # type: ignore[misc, name-defined]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                # Bars are built on the transcribing thread, so this is that call's callback.
                self._report: ProgressCallback | None = getattr(local, "callback", None)
                self._done = 0  # tqdm leaves self.n at 0 when the bar is disabled

            def update(self, n: float | None = 1) -> bool | None:
                self._done += n or 0
                if self._report is not None and self.total:
                    self._report(min(1.0, max(0.0, self._done / self.total)))
                return super().update(n)

        return ReportingBar

    @contextmanager
    def observe(self, module: ModuleType, callback: ProgressCallback | None) -> Iterator[None]:
        """Send the current thread's progress bars in module to callback while inside."""
        with self._lock:
            if self._users == 0:
                self._saved = module.tqdm
                module.tqdm = SimpleNamespace(tqdm=self._bar_class(self._saved))
            self._users += 1
        self._local.callback = callback
        try:
            yield
        finally:
            self._local.callback = None
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    module.tqdm = self._saved


_progress_router = _ProgressRouter()


class OpenAIWhisperEngine:
    """Transcribes with openai-whisper on the CPU; the model is loaded once, in __init__."""

    name = "openai-whisper"

    def __init__(self, source: ModelSource, options: EngineOptions, cache_dir: Path) -> None:
        # Deferred so that importing the engines never pays for (or needs) PyTorch Whisper.
        import torch
        import whisper

        if options.cpu_threads > 0:
            torch.set_num_threads(options.cpu_threads)
        if options.vad_filter:
            log.info("openai-whisper has no VAD filter; transcribing the whole note")
        self.model_name = source.name
        self._options = options
        self._model = self._load(whisper, source, cache_dir)
        # By module path: the package's ``transcribe`` attribute is the function, not the module.
        self._transcribe_module = importlib.import_module("whisper.transcribe")

    @staticmethod
    def _load(whisper: ModuleType, source: ModelSource, cache_dir: Path) -> Any:
        """Load the model, converting a CTranslate2 directory to a cached checkpoint first."""
        if source.is_ctranslate2:
            assert source.path is not None  # is_ctranslate2 implies a path
            checkpoint = cached_openai_checkpoint(source.path, cache_dir)
            model = whisper.load_model(str(checkpoint), device="cpu")
            # load_model only knows the alignment heads of the official names it downloads.
            dump = alignment_heads_dump(
                source.path, model.dims.n_text_layer, model.dims.n_text_head
            )
            if dump is not None:
                model.set_alignment_heads(dump)
        else:
            # A checkpoint path, or a name whisper downloads into our cache, not ~/.cache.
            target = str(source.path) if source.path is not None else source.name
            model = whisper.load_model(target, device="cpu", download_root=str(cache_dir))
        log.info("openai-whisper loaded %s", source.name)
        return model

    def _decode_options(self) -> dict[str, Any]:
        """Map EngineOptions onto whisper.transcribe()'s keyword arguments."""
        beam_size = self._options.beam_size if self._options.beam_size > 1 else None
        return {
            "language": self._options.language,
            "beam_size": beam_size,
            # Candidates sampled per temperature-fallback window; whisper's CLI and
            # faster-whisper both use 5, whisper.transcribe() alone would sample just 1.
            "best_of": beam_size,
            "fp16": False,  # CPU only; also silences whisper's FP16-on-CPU warning
            "verbose": None,  # no printing, no visible progress bar
            # condition_on_previous_text stays at its default (True), as in the faster-whisper
            # engine, so both read notes the same way; whisper already drops the prompt
            # after a window needs a high temperature, which curbs repetition loops.
        }

    def transcribe(
        self, audio: np.ndarray, progress: ProgressCallback | None = None
    ) -> Transcription:
        """Transcribe 16 kHz mono float32 samples in [-1, 1]."""
        samples = np.ascontiguousarray(audio, dtype=np.float32)
        if progress is not None:
            progress(0.0)
        with _progress_router.observe(self._transcribe_module, progress):
            result = self._model.transcribe(samples, **self._decode_options())
        if progress is not None:
            progress(1.0)  # whisper skips the bar update for windows it judges silent
        segments = [
            Segment(start=float(s["start"]), end=float(s["end"]), text=s["text"].strip())
            for s in result["segments"]
            if not is_invented(s["text"], s["no_speech_prob"], s["avg_logprob"],
                               s["compression_ratio"])
        ]
        return Transcription(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=result["language"],
            segments=segments,
            engine=self.name,
            model=self.model_name,
            duration_s=len(samples) / SAMPLE_RATE,
        )
