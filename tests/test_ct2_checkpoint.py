"""The CTranslate2 model.bin reader and its conversion to an openai-whisper checkpoint."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
import whisper
from whisper.model import ModelDimensions, Whisper

from workers.engines.ct2_checkpoint import (
    Ct2FormatError,
    cached_openai_checkpoint,
    read_ct2_model,
)
from workers.model_files import bundled_model_dir

DATA = Path(__file__).parent / "data"
REFERENCE = (
    "And so, my fellow Americans, ask not what your country can do for you, "
    "ask what you can do for your country."
)
TINY_EN_DIMS = {
    "n_mels": 80,
    "n_audio_ctx": 1500,
    "n_audio_state": 384,
    "n_audio_head": 6,
    "n_audio_layer": 4,
    "n_vocab": 51864,
    "n_text_ctx": 448,
    "n_text_state": 384,
    "n_text_head": 6,
    "n_text_layer": 4,
}


def words(text: str) -> list[str]:
    """Lowercase the text and keep only its words, so punctuation differences do not count."""
    return re.findall(r"[a-z0-9']+", text.lower())


def ct2_string(text: str) -> bytes:
    """Encode a model.bin string: uint16 length counting the NUL, then the bytes."""
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def ct2_file(variables: list[tuple[str, list[int], int, bytes]], version: int = 6) -> bytes:
    """Build a small model.bin from (name, dims, dtype id, raw bytes) records."""
    out = (
        struct.pack("<I", version)
        + ct2_string("WhisperSpec")
        + struct.pack("<II", 3, len(variables))
    )
    for name, dims, dtype_id, raw in variables:
        out += ct2_string(name) + struct.pack(f"<B{len(dims)}I", len(dims), *dims)
        out += struct.pack("<BI", dtype_id, len(raw)) + raw
    return out + struct.pack("<I", 0)


@pytest.fixture(scope="session")
def bundled_dir() -> Path:
    return bundled_model_dir()


@pytest.fixture(scope="session")
def checkpoint_path(bundled_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return cached_openai_checkpoint(bundled_dir, tmp_path_factory.mktemp("openai-checkpoints"))


@pytest.fixture(scope="session")
def jfk_audio() -> np.ndarray:
    return whisper.load_audio(str(DATA / "jfk.flac"))


def test_reads_the_bundled_model(bundled_dir: Path) -> None:
    model = read_ct2_model(bundled_dir / "model.bin")

    assert model.spec == "WhisperSpec"
    assert model.revision == 3
    assert len(model.variables) == 148
    weights = [v for v in model.variables.values() if v.ndim > 0]
    assert len(weights) == 139
    assert {v.dtype for v in weights} == {np.dtype("float16")}
    assert model.variables["decoder/layer_0/self_attention/linear_0/weight"].shape == (1152, 384)
    assert model.scalar("decoder/num_heads") == 6
    assert model.aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}


def test_checkpoint_loads_strictly_into_whisper(checkpoint_path: Path) -> None:
    # weights_only, as whisper.load_model reads it: only tensors and plain values inside.
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)

    assert checkpoint["dims"] == TINY_EN_DIMS
    model = Whisper(ModelDimensions(**checkpoint["dims"]))
    model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    assert set(checkpoint["model_state_dict"]) == set(model.state_dict())


def test_truncated_file_is_refused(bundled_dir: Path, tmp_path: Path) -> None:
    data = (bundled_dir / "model.bin").read_bytes()
    truncated = tmp_path / "model.bin"
    truncated.write_bytes(data[: len(data) // 2])

    with pytest.raises(Ct2FormatError, match="truncated"):
        read_ct2_model(truncated)


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(ct2_file([], version=5))

    with pytest.raises(Ct2FormatError, match="version 5"):
        read_ct2_model(path)


def test_unknown_dtype_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(ct2_file([("encoder/conv1/bias", [2], 9, b"\0" * 8)]))

    with pytest.raises(Ct2FormatError, match="unknown dtype id 9"):
        read_ct2_model(path)


def test_bfloat16_is_widened_to_float32(tmp_path: Path) -> None:
    # bfloat16 is the top half of a float32: 1.5 is 0x3FC0, -2.0 is 0xC000.
    path = tmp_path / "model.bin"
    path.write_bytes(ct2_file([("w", [2], 5, struct.pack("<2H", 0x3FC0, 0xC000))]))

    values = read_ct2_model(path).variables["w"]

    assert values.dtype == np.float32
    assert values.tolist() == [1.5, -2.0]


def test_checkpoint_is_cached(bundled_dir: Path, tmp_path: Path) -> None:
    first = cached_openai_checkpoint(bundled_dir, tmp_path)
    written = first.stat().st_mtime_ns

    second = cached_openai_checkpoint(bundled_dir, tmp_path)

    assert second == first
    assert first.name == "openai-1a5afae06a4db91c.pt"
    assert second.stat().st_mtime_ns == written
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # no temp files left


def test_converted_model_transcribes_like_faster_whisper(
    bundled_dir: Path, checkpoint_path: Path, jfk_audio: np.ndarray
) -> None:
    from faster_whisper import WhisperModel

    converted = whisper.load_model(str(checkpoint_path), device="cpu")
    openai_text = converted.transcribe(
        jfk_audio, language="en", beam_size=5, best_of=5, fp16=False
    )["text"]
    reference_model = WhisperModel(str(bundled_dir), device="cpu", compute_type="float32")
    segments, _ = reference_model.transcribe(jfk_audio, language="en", beam_size=5)
    faster_text = "".join(segment.text for segment in segments)

    assert words(openai_text) == words(faster_text)
    assert words(openai_text) == words(REFERENCE)
