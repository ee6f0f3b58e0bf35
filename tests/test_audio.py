"""workers.audio.decode with real ffmpeg: 16 kHz mono float32, and a leash that holds."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CONTAINER_OF, DATA
from workers.audio import SAMPLE_RATE, DecodedAudio, DecodeError, decode

CONTAINERS = CONTAINER_OF
JFK_SECONDS = 11.0


def check_samples(audio: DecodedAudio, seconds: float, tolerance: float) -> None:
    samples = audio.samples
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert audio.duration_s == pytest.approx(seconds, abs=tolerance)
    assert float(samples.min()) >= -1.0
    assert float(samples.max()) <= 1.0
    assert float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) > 0.01  # not silence
    segment = audio.segment
    assert (segment.frame_rate, segment.channels, segment.sample_width) == (SAMPLE_RATE, 1, 2)
    # The pydub segment and the float samples are the same audio.
    as_ints = np.array(segment.get_array_of_samples(), dtype=np.float32) / 32768.0
    np.testing.assert_array_equal(as_ints, samples)


def test_fixture_covers_every_container(audio_files: dict[str, Path]) -> None:
    assert set(audio_files) == set(CONTAINERS)


@pytest.mark.parametrize("ext", sorted(CONTAINERS))
def test_every_container_decodes_to_16k_mono(audio_files: dict[str, Path], ext: str) -> None:
    audio = decode(audio_files[ext], CONTAINERS[ext])
    # AMR-NB (in 3gp) is 8 kHz speech coding; its length may differ slightly.
    check_samples(audio, JFK_SECONDS, 0.3 if ext == "3gp" else 0.1)


def test_raw_amr_keeps_the_timeline(tmp_path: Path) -> None:
    """AMR with DTX (SID and NO_DATA frames during pauses) must not lose time.

    ffmpeg's native AMR-NB decoder outputs nothing for those frames; unless the gaps are filled
    with silence, everything after a pause moves earlier and transcript times drift.
    """
    amr = tmp_path / "jfk.amr"
    subprocess.run(["sox", str(DATA / "jfk.flac"), "-r", "8000", "-c", "1", "-C", "7",
                    "-t", "amr-nb", str(amr)], check=True)  # fmt: skip
    audio = decode(amr, "amr")
    check_samples(audio, JFK_SECONDS, 0.05)


def test_stereo_is_mixed_down_to_mono() -> None:
    audio = decode(DATA / "stereo_diarization.wav", "wav")
    check_samples(audio, 5.0, 0.05)


# --- damaged files ------------------------------------------------------------------------------


def assert_human(message: str, path: Path) -> None:
    assert "could not be decoded" in message
    assert str(path) not in message
    assert "ffmpeg" not in message.lower()


@pytest.mark.parametrize("keep", [200, 0.5], ids=["200-bytes", "half"])
def test_truncated_m4a_raises_decode_error(
    audio_files: dict[str, Path], tmp_path: Path, keep: float
) -> None:
    data = audio_files["m4a"].read_bytes()
    truncated = tmp_path / "truncated.m4a"
    truncated.write_bytes(data[: int(keep if keep > 1 else len(data) * keep)])
    with pytest.raises(DecodeError) as failed:
        decode(truncated, "mp4")
    assert_human(str(failed.value), truncated)


@pytest.mark.parametrize(("ext", "container"), [("m4a", "mp4"), ("flac", "flac"), ("ogg", "ogg")])
def test_garbage_after_valid_header_raises_decode_error(
    audio_files: dict[str, Path], tmp_path: Path, ext: str, container: str
) -> None:
    header = audio_files[ext].read_bytes()[:32]
    damaged = tmp_path / f"damaged.{ext}"
    damaged.write_bytes(header + random.Random(1).randbytes(64 * 1024))
    with pytest.raises(DecodeError) as failed:
        decode(damaged, container)
    assert_human(str(failed.value), damaged)


@pytest.mark.parametrize("container", ["exe", "hls", "concat", "m4a", ""])
def test_unknown_container_raises_decode_error(
    audio_files: dict[str, Path], container: str
) -> None:
    with pytest.raises(DecodeError, match="unsupported container"):
        decode(audio_files["wav"], container)


# --- the leash ----------------------------------------------------------------------------------


def test_memory_limit_fails_cleanly(audio_files: dict[str, Path]) -> None:
    # Too little memory for ffmpeg to start is reported as the server's problem, not the file's.
    with pytest.raises(DecodeError, match="server could not start its audio decoder"):
        decode(audio_files["m4a"], "mp4", memory_mb=16)
    # The test process itself is unaffected and decodes normally afterwards.
    assert decode(audio_files["m4a"], "mp4").duration_s == pytest.approx(JFK_SECONDS, abs=0.1)


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "tone.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(path), "synth", "600", "sine",
                    "300"], check=True)  # fmt: skip
    return path


def test_timeout_kills_a_long_decode(ten_minutes: Path) -> None:
    started = time.monotonic()
    with pytest.raises(DecodeError, match="took longer"):
        decode(ten_minutes, "wav", timeout_s=0.01)
    assert time.monotonic() - started < 5


def test_loudness_check_agrees_with_pydubs_detect_nonsilent() -> None:
    """The vectorised check gives pydub's answer on quiet, loud, clicky, short and long audio."""
    import numpy as np
    from pydub import AudioSegment
    from pydub.silence import detect_nonsilent

    from workers.audio import DecodedAudio

    rng = np.random.default_rng(7)
    answers = []
    for _ in range(200):
        n = int(rng.integers(100, 40_000))
        x = rng.standard_normal(n) * 10 ** (rng.uniform(-70, -35) / 20) * rng.uniform(0, 1, n) ** 3
        if rng.random() < 0.3:
            x[rng.integers(0, n)] = 0.5  # a click: loud peak, quiet stretch
        pcm = np.clip(x * 32768, -32768, 32767).astype("<i2")
        segment = AudioSegment(data=pcm.tobytes(), sample_width=2, frame_rate=16_000, channels=1)
        audio = DecodedAudio(samples=pcm.astype(np.float32) / 32768, segment=segment)
        expected = bool(
            detect_nonsilent(segment, min_silence_len=500, silence_thresh=-50.0, seek_step=50)
        )
        assert audio.loud_somewhere(-50.0) == expected
        answers.append(expected)
    assert 20 < sum(answers) < 180  # both answers were exercised
