"""One benchmark configuration, run in a process of its own so its memory is its own.

``python -m benchmarks._runner`` reads {"config": ..., "notes": [...], "cache": ...} as JSON on
stdin, loads the model once (untimed, as a worker does at start), transcribes jfk.flac once to warm
up (untimed), then each note, and writes the transcripts, timings and peak memory as JSON on
stdout.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._audio import JFK
from benchmarks._configs import Config

if TYPE_CHECKING:
    from workers.audio import DecodedAudio

log = logging.getLogger(__name__)

#: Transcribe a file; returns the text and the seconds spent in the model itself.
Transcriber = Callable[[Path], tuple[str, float]]


def _homeward_decode(path: Path) -> tuple[DecodedAudio, bool]:
    """Decode as the worker does: container sniffed from the bytes, then the sandboxed ffmpeg."""
    from service.sniff import sniff_container
    from workers.audio import decode
    from workers.jobs import has_speech

    with path.open("rb") as fh:
        container = sniff_container(fh.read(4096))
    audio = decode(path, container)
    return audio, has_speech(audio)


def homeward(config: Config, cache: Path) -> Transcriber:
    """The worker's path: decode, has_speech, and the engine built from the settings."""
    from service.config import load_settings
    from workers.engines import load_engine
    from workers.runtime import engine_options

    settings = load_settings(environ={}, overrides=config.overrides)
    engine = load_engine(settings.engine, settings.whisper_model, engine_options(settings), cache)

    def run(path: Path) -> tuple[str, float]:
        audio, speech = _homeward_decode(path)
        if not speech:
            return "", 0.0
        started = time.perf_counter()
        text = engine.transcribe(audio.samples).text
        return text, time.perf_counter() - started

    return run


def faster_whisper(config: Config, cache: Path) -> Transcriber:
    """faster-whisper's WhisperModel.transcribe(path), on the bundled weights."""
    from faster_whisper import WhisperModel

    from workers.model_files import bundled_model_dir

    model = WhisperModel(str(bundled_model_dir()), device="cpu", **config.model_kwargs)

    def run(path: Path) -> tuple[str, float]:
        started = time.perf_counter()
        segments, _info = model.transcribe(str(path), **config.transcribe_kwargs)
        text = " ".join(s.text.strip() for s in segments)
        return text, time.perf_counter() - started

    return run


def openai_whisper(config: Config, cache: Path) -> Transcriber:
    """openai-whisper's model.transcribe(path), on the bundled weights converted once."""
    import whisper

    from workers.engines.openai_whisper import OpenAIWhisperEngine
    from workers.model_files import resolve_model

    model = OpenAIWhisperEngine._load(whisper, resolve_model("tiny.en"), cache)
    warnings.filterwarnings("ignore", message="FP16 is not supported on CPU")

    def run(path: Path) -> tuple[str, float]:
        started = time.perf_counter()
        text = str(model.transcribe(str(path), **config.transcribe_kwargs)["text"]).strip()
        return text, time.perf_counter() - started

    return run


BUILDERS: dict[str, Callable[[Config, Path], Transcriber]] = {
    "homeward": homeward, "faster-whisper": faster_whisper, "openai-whisper": openai_whisper,
}  # fmt: skip


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds() -> float:
    """CPU time of this process and of the children it waited for (ffmpeg decodes)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def measure(transcribe: Transcriber, notes: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Transcribe each note, timing the whole call (decode included) and its CPU time."""
    results = []
    for note in notes:
        cpu, started = cpu_seconds(), time.perf_counter()
        text, model_s = transcribe(Path(note["path"]))
        results.append({
            "name": note["name"], "text": text, "model_s": model_s,
            "wall_s": time.perf_counter() - started, "cpu_s": cpu_seconds() - cpu,
        })  # fmt: skip
    return results


def main() -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    request = json.load(sys.stdin)
    config = Config(**request["config"])
    cache = Path(request["cache"])
    started = time.perf_counter()
    transcribe = BUILDERS[config.kind](config, cache)
    load_s = time.perf_counter() - started
    transcribe(JFK.path)  # warm-up, untimed: a worker has served notes before this one
    results = measure(transcribe, request["notes"])
    answer = {"load_s": load_s, "peak_rss_mb": peak_rss_mb(), "notes": results,
              "pid": os.getpid()}
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
