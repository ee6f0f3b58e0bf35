"""Decoding a stored note to 16 kHz mono samples, with ffmpeg on a short leash.

ffmpeg runs in its own process with the sniffed demuxer forced, only the ``file`` and ``pipe``
protocols allowed, a time limit and an address-space limit, so a hostile file can neither make it
open other files or URLs nor take the worker down with it. The raw PCM it writes to a pipe becomes
a pydub ``AudioSegment`` (no temporary files), from which the float samples for Whisper are taken.
"""

from __future__ import annotations

import logging
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydub import AudioSegment

from service.sniff import DEMUXERS, PROTOCOL_WHITELIST

SAMPLE_RATE = 16_000
log = logging.getLogger(__name__)


class DecodeError(RuntimeError):
    """The audio could not be decoded; the message is fit to show the client."""


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # float32 in [-1, 1], mono, 16 kHz
    segment: AudioSegment

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def loud_somewhere(
        self, threshold_dbfs: float, window_ms: int = 500, step_ms: int = 50
    ) -> bool:
        """True when some ``window_ms`` stretch (tried every ``step_ms``) is louder than the
        threshold (RMS, dB below full scale): pydub's ``detect_nonsilent`` found anything, as
        one vectorised pass instead of a slice per step (30 ms for a minute here, now 2 ms).
        """
        window = SAMPLE_RATE * window_ms // 1000
        if len(self.samples) < window:
            return len(self.samples) > 0  # too short to hold a silence: pydub calls it loud
        energy = np.concatenate(([0.0], np.cumsum(np.square(self.samples, dtype=np.float64))))
        step = SAMPLE_RATE * step_ms // 1000
        starts = np.arange(0, len(self.samples) - window + 1, step)
        starts = np.union1d(starts, [len(self.samples) - window])
        rms = np.sqrt((energy[starts + window] - energy[starts]) / window)
        return bool((rms > 10 ** (threshold_dbfs / 20)).any())


def _limit_memory(max_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def ffmpeg_command(path: Path | str, container: str) -> list[str]:
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
        "-protocol_whitelist", PROTOCOL_WHITELIST, "-f", DEMUXERS[container],
        "-i", f"file:{path}", "-map", "0:a:0", "-vn", "-sn", "-dn",
        # AMR's comfort-noise frames decode to nothing; async resampling fills them with
        # silence so that every later sentence keeps its time.
        "-af", "aresample=async=1", "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-f", "s16le", "-acodec", "pcm_s16le", "pipe:1",
    ]  # fmt: skip


def decode(
    path: Path | str,
    container: str,
    timeout_s: float = 600,
    memory_mb: int = 1024,
    pass_fds: tuple[int, ...] = (),
) -> DecodedAudio:
    """Decode ``path`` (whose container was sniffed at upload) to 16 kHz mono float32.

    ``path`` may be ``/proc/self/fd/N`` for decrypted audio held in memory (fd N in pass_fds).
    """
    if container not in DEMUXERS:
        raise DecodeError(f"unsupported container {container!r}")
    try:
        result = subprocess.run(
            ffmpeg_command(path, container),
            capture_output=True,
            timeout=timeout_s,
            check=False,
            pass_fds=pass_fds,
            preexec_fn=lambda: _limit_memory(memory_mb << 20),  # noqa: PLW1509
        )
    except subprocess.TimeoutExpired:
        raise DecodeError(
            f"decoding took longer than {timeout_s:g} s; the file may be damaged"
        ) from None
    except FileNotFoundError:
        raise DecodeError("ffmpeg is not installed on the worker") from None
    if result.returncode == 127 or b"error while loading shared libraries" in result.stderr:
        # The memory limit is too small for ffmpeg to even start: a server setting, not the file.
        log.error("ffmpeg could not start; raise HOMEWARD_DECODE_MEMORY_MB (now %d)", memory_mb)
        raise DecodeError("the server could not start its audio decoder; try again later")
    if result.returncode != 0 or not result.stdout:
        raise DecodeError("the audio could not be decoded; the file may be damaged or truncated")
    pcm = result.stdout[: len(result.stdout) // 2 * 2]
    segment = AudioSegment(data=pcm, sample_width=2, frame_rate=SAMPLE_RATE, channels=1)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return DecodedAudio(samples=samples, segment=segment)
