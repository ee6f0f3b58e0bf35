"""No invented words: noise is transcribed empty, speech is kept (workers/speech.py).

Whole-note voice detection drifts into false alarms over long noise, and Whisper then invents
words: 45 s of pink noise came back as "You" before segments were filtered.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA, JFK_WORDS, words
from workers.audio import decode
from workers.engines import load_engine
from workers.engines.base import Engine, EngineOptions
from workers.jobs import has_speech
from workers.speech import contains_voice, is_invented


@pytest.fixture(scope="module", params=[0, 4], ids=["sequential", "batched"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    options = EngineOptions(beam_size=5, batch_size=request.param)
    return load_engine("faster-whisper", "tiny.en", options, tmp_path_factory.mktemp("models"))


def noise(folder: Path, kind: str, seconds: int, volume: float) -> Path:
    target = folder / f"{kind}-{seconds}.wav"
    # -R: sox's repeatable mode, the same noise on every run.
    subprocess.run(["sox", "-R", "-n", "-r", "16000", "-c", "1", str(target), "synth",
                    str(seconds), kind, "vol", str(volume)], check=True)
    return target


def transcript(engine: Engine, path: Path, container: str) -> str:
    """What the worker stores: nothing unless the note holds speech, else the engine's text."""
    audio = decode(path, container)
    return engine.transcribe(audio.samples).text if has_speech(audio) else ""


@pytest.mark.parametrize(("kind", "seconds", "volume"), [
    ("pinknoise", 45, 0.7), ("pinknoise", 8, 0.5), ("brownnoise", 8, 0.5), ("whitenoise", 20, 0.5),
])  # fmt: skip
def test_noise_is_transcribed_empty(
    engine: Engine, tmp_path: Path, kind: str, seconds: int, volume: float
) -> None:
    assert transcript(engine, noise(tmp_path, kind, seconds, volume), "wav") == ""


def test_speech_is_kept_whole(engine: Engine, tmp_path: Path) -> None:
    assert words(transcript(engine, DATA / "jfk.flac", "flac")) == JFK_WORDS
    quiet = tmp_path / "quiet.wav"  # -36 dBFS at its loudest
    subprocess.run(["sox", str(DATA / "jfk.flac"), "-r", "16000", str(quiet), "vol", "0.02"],
                   check=True)
    assert contains_voice(decode(quiet, "wav").samples)
    assert words(transcript(engine, quiet, "wav"))[:4] == JFK_WORDS[:4]


def test_invented_segments_are_recognised() -> None:
    assert is_invented(" . . .", 0.1, -0.2)  # no words at all
    assert is_invented(" You", 0.93, -0.9)  # Whisper judged it silence and was unsure
    assert not is_invented(" You", 0.05, -0.9)  # unsure, but of real speech
    assert not is_invented(" And so my fellow Americans", 0.9, -0.3)  # sure of its words
    assert not is_invented(" hello", None, None)  # nothing reported: keep it
    loop = " see you in the next video," * 30  # confident, but a loop in a silent window
    assert is_invented(loop, 0.91, -0.2, 10.3) and not is_invented(loop, 0.1, -0.2, 10.3)
