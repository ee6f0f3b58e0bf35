"""The speed defaults chosen in docs/performance.md: in force, and losing no words (not timed)."""

from __future__ import annotations

import re
from pathlib import Path

from service.config import describe_settings, load_settings
from tests.conftest import DATA, JFK_WORDS, words
from workers.audio import decode
from workers.engines import load_engine
from workers.jobs import has_speech
from workers.runtime import engine_options

PERFORMANCE_DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
#: A row of the doc's "Chosen defaults" table: | `HOMEWARD_X` | `value` | why |
DEFAULT_ROW = re.compile(r"^\| `(HOMEWARD_[A-Z_]+)` \| `([^`]*)` \|", re.MULTILINE)


def documented_defaults() -> dict[str, str]:
    section = PERFORMANCE_DOC.read_text().split("## Chosen defaults", 1)[1].split("\n## ", 1)[0]
    return dict(DEFAULT_ROW.findall(section))


def is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(word in remaining for word in needle)


def test_the_documented_speed_defaults_are_the_settings_defaults() -> None:
    documented = documented_defaults()
    assert {"HOMEWARD_BEAM_SIZE", "HOMEWARD_BATCH_SIZE", "HOMEWARD_VAD_FILTER",
            "HOMEWARD_CPU_THREADS", "HOMEWARD_COMPUTE_TYPE",
            "HOMEWARD_DECODER_REPLICAS"} <= set(documented)
    defaults = {name: default for name, default, _doc in describe_settings()}
    for name, value in documented.items():
        assert defaults[name] == value, f"docs/performance.md says {name}={value}"


def test_the_default_settings_reach_the_engine() -> None:
    settings = load_settings(environ={})
    options = engine_options(settings)
    assert (options.beam_size, options.batch_size, options.vad_filter, options.cpu_threads,
            options.compute_type, options.decoder_replicas) == (
        settings.beam_size, settings.batch_size, settings.vad_filter, settings.cpu_threads,
        settings.compute_type, settings.decoder_replicas)


def test_the_default_pipeline_keeps_every_word_of_jfk(tmp_path: Path) -> None:
    settings = load_settings(environ={}, default_data_dir=tmp_path)
    engine = load_engine(settings.engine, settings.whisper_model, engine_options(settings),
                         settings.resolved_model_cache_dir)
    audio = decode(DATA / "jfk.flac", "flac")
    assert has_speech(audio)
    heard = words(engine.transcribe(audio.samples).text)
    missing = [w for w in JFK_WORDS if w not in heard]
    assert not missing and is_subsequence(JFK_WORDS, heard), heard


def test_replicas_decode_a_long_note_in_order_and_keep_every_word(tmp_path: Path) -> None:
    """Two single-threaded replicas decode a note of several windows at once: the windows'
    words come back whole and in time order, as one model with two threads gives them."""
    import numpy as np

    jfk = decode(DATA / "jfk.flac", "flac").samples
    pause = np.zeros(16_000 * 4, dtype=np.float32)
    note = np.concatenate([jfk, pause, jfk, pause, jfk, pause, jfk, pause, jfk])  # ~75 s
    heard = {}
    for replicas in (2, 1):
        settings = load_settings(environ={}, default_data_dir=tmp_path,
                                 overrides={"cpu_threads": 2, "decoder_replicas": replicas})
        engine = load_engine(settings.engine, settings.whisper_model, engine_options(settings),
                             settings.resolved_model_cache_dir)
        assert getattr(engine, "replicas", 1) == replicas
        result = engine.transcribe(note)
        assert [s.start for s in result.segments] == sorted(s.start for s in result.segments)
        heard[replicas] = words(result.text)
        assert is_subsequence(JFK_WORDS * 5, heard[replicas]), heard[replicas]
    assert len(heard[2]) == len(heard[1])
