"""The openai-whisper engine, running the bundled tiny.en weights after conversion."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tqdm
import whisper

from workers.engines.base import EngineOptions
from workers.engines.ct2_checkpoint import cached_openai_checkpoint
from workers.engines.openai_whisper import OpenAIWhisperEngine
from workers.model_files import BUNDLED_MODEL, bundled_model_dir, resolve_model

DATA = Path(__file__).parent / "data"
REFERENCE = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)


def words(text: str) -> list[str]:
    """Lowercase the text and keep only its words, so punctuation differences do not count."""
    return re.findall(r"[a-z0-9']+", text.lower())


@pytest.fixture(scope="session")
def checkpoint_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory already holding the converted bundled model."""
    cache_dir = tmp_path_factory.mktemp("openai-checkpoints")
    cached_openai_checkpoint(bundled_model_dir(), cache_dir)
    return cache_dir


@pytest.fixture(scope="session")
def jfk_audio() -> np.ndarray:
    return whisper.load_audio(str(DATA / "jfk.flac"))


@pytest.fixture(scope="module")
def engine_and_loads(checkpoint_cache: Path) -> Iterator[tuple[OpenAIWhisperEngine, list[str]]]:
    """One engine for the module, built while whisper.load_model counts its calls."""
    loads: list[str] = []
    real_load_model = whisper.load_model

    def counting_load_model(name: str, *args: Any, **kwargs: Any) -> Any:
        loads.append(name)
        return real_load_model(name, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whisper, "load_model", counting_load_model)
        options = EngineOptions(beam_size=5, language="en", cpu_threads=2)
        engine = OpenAIWhisperEngine(resolve_model(BUNDLED_MODEL), options, checkpoint_cache)
        yield engine, loads


@pytest.fixture(scope="module")
def engine(engine_and_loads: tuple[OpenAIWhisperEngine, list[str]]) -> OpenAIWhisperEngine:
    return engine_and_loads[0]


def test_transcribes_every_reference_word(
    engine: OpenAIWhisperEngine, jfk_audio: np.ndarray
) -> None:
    result = engine.transcribe(jfk_audio)

    assert set(words(REFERENCE)) <= set(words(result.text))
    assert result.text == result.text.strip()
    assert (result.engine, result.model, result.language) == ("openai-whisper", "tiny.en", "en")
    assert result.duration_s == pytest.approx(len(jfk_audio) / 16_000)
    assert result.segments
    assert " ".join(s.text for s in result.segments) == result.text
    assert all(0 <= s.start < s.end <= result.duration_s + 0.5 for s in result.segments)


def test_progress_rises_to_one(engine: OpenAIWhisperEngine, jfk_audio: np.ndarray) -> None:
    # Over 30 s, so whisper decodes two windows and reports in between. Silence, not more
    # speech: repeating jfk would trip whisper's compression-ratio fallback and take ~30 s.
    audio = np.concatenate([np.zeros(16_000 * 22, dtype=np.float32), jfk_audio])
    reported: list[float] = []

    engine.transcribe(audio, progress=reported.append)

    assert reported == sorted(reported)
    assert all(0.0 <= value <= 1.0 for value in reported)
    assert reported[-1] == 1.0
    assert any(0.0 < value < 1.0 for value in reported), "whisper's own progress never came"
    # The progress hook is undone once the call is over.
    assert importlib.import_module("whisper.transcribe").tqdm is tqdm


def test_model_is_loaded_once(
    engine_and_loads: tuple[OpenAIWhisperEngine, list[str]], jfk_audio: np.ndarray
) -> None:
    engine, loads = engine_and_loads
    clip = jfk_audio[: 16_000 * 4]

    engine.transcribe(clip)
    engine.transcribe(clip)

    assert len(loads) == 1
    assert loads[0].endswith(".pt")
