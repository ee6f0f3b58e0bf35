"""The configurations the transcription benchmark puts side by side.

Three kinds: the two libraries called as their documentation shows (``openai-whisper``,
``faster-whisper``; each decodes the file itself), and ``homeward``: the worker's own path
(workers.audio.decode, workers.jobs.has_speech, the engine that workers.engines.load_engine
builds from workers.runtime.engine_options), from the default settings (the environment's
HOMEWARD_* variables ignored) plus ``overrides``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Config:
    """One way of turning a recording into text."""

    name: str
    kind: str  # "openai-whisper", "faster-whisper" or "homeward"
    #: Keyword arguments for the library's model constructor (faster-whisper's WhisperModel).
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    #: Keyword arguments for the library's transcribe().
    transcribe_kwargs: dict[str, Any] = field(default_factory=dict)
    #: Settings that differ from Homeward's defaults (kind "homeward").
    overrides: dict[str, Any] = field(default_factory=dict)
    #: A baseline: the word error rate target is the best of these.
    baseline: bool = False
    #: A choice the quick run settles, left out of the full run to keep it under 20 minutes.
    quick_only: bool = False


CONFIGS: tuple[Config, ...] = (
    # The baselines: each library as its documentation shows it, then with beam search 5.
    Config("openai-whisper defaults", "openai-whisper"),
    Config("openai-whisper beam 5", "openai-whisper",
           transcribe_kwargs={"beam_size": 5, "best_of": 5}, baseline=True),
    Config("faster-whisper defaults (beam 5)", "faster-whisper", baseline=True),
    Config("faster-whisper int8 beam 5", "faster-whisper",
           model_kwargs={"compute_type": "int8"}, baseline=True),
    # Homeward as the worker runs it, with its defaults.
    Config("homeward default", "homeward"),
    # The choices the defaults were picked from, each changed alone from the defaults.
    Config("homeward sequential, no VAD (old default)", "homeward",
           overrides={"batch_size": 0, "vad_filter": False}),
    Config("homeward sequential", "homeward", overrides={"batch_size": 0}),
    Config("homeward sequential, beam 1", "homeward", overrides={"batch_size": 0, "beam_size": 1},
           quick_only=True),
    Config("homeward beam 3", "homeward", overrides={"beam_size": 3}),
    Config("homeward beam 2", "homeward", overrides={"beam_size": 2}, quick_only=True),
    Config("homeward beam 1", "homeward", overrides={"beam_size": 1}),
    Config("homeward batch 8", "homeward", overrides={"batch_size": 8}),
    Config("homeward one model, 2 threads", "homeward", overrides={"decoder_replicas": 1}),
    Config("homeward 1 thread", "homeward", overrides={"cpu_threads": 1}),
    Config("homeward 4 threads", "homeward", overrides={"cpu_threads": 4}, quick_only=True),
)  # fmt: skip


def select(names: list[str] | None, quick: bool) -> list[Config]:
    """The configurations to run: those named (all by default), less quick-only ones in full."""
    chosen = [c for c in CONFIGS if not names or c.name in names]
    unknown = set(names or ()) - {c.name for c in CONFIGS}
    if unknown:
        raise SystemExit(f"unknown configuration(s): {', '.join(sorted(unknown))}")
    return [c for c in chosen if quick or names or not c.quick_only]
