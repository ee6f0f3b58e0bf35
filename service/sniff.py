"""Recognise uploaded audio by its bytes, never by its name or declared type.

The container found here is later forced on ffmpeg (``-f``), so a playlist or a text file renamed
``.m4a`` is never handed to a demuxer that would open other files or URLs.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

# The demuxers Homeward lets ffmpeg use, by container. "mov" covers mp4, m4a and 3gp.
DEMUXERS = {
    "mp4": "mov",
    "webm": "matroska",
    "ogg": "ogg",
    "mp3": "mp3",
    "wav": "wav",
    "flac": "flac",
    "amr": "amr",
    "aac": "aac",
}

#: Protocols ffmpeg may use: the one file it is given, and pipes; never http, hls, concat, etc.
PROTOCOL_WHITELIST = "file,pipe"

#: Anything shorter is a truncated file, not a note (a WAV cut to its header reads as 0.7 ms).
MIN_DURATION_S = 0.1

ACCEPTED_DESCRIPTION = "AAC in .m4a/.mp4, Opus in .webm or .ogg, MP3, WAV, FLAC, or AMR in .3gp"


class UnsupportedAudio(ValueError):
    """The bytes are not a container Homeward accepts; the message says what they look like."""


class UnreadableAudio(ValueError):
    """The container is one we accept, but ffmpeg could not read audio from it."""


@dataclass(frozen=True)
class AudioInfo:
    container: str
    duration_s: float


def _is_mp3_frame(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _describe(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return "a PDF document"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "an image"
    if head.startswith(b"#EXTM3U"):
        return "a playlist"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive"
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:256]):
        return "text"
    return "not a recognised audio format"


def sniff_container(head: bytes) -> str:
    """Return the container of a file from its first bytes, or raise UnsupportedAudio."""
    if not head:
        raise UnsupportedAudio("the file is empty")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"ID3") or _is_mp3_frame(head):
        return "mp3"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"
    raise UnsupportedAudio(f"the file is {_describe(head)}, not audio; send {ACCEPTED_DESCRIPTION}")


def _ffprobe(
    path: Path | str,
    container: str,
    query: list[str],
    timeout_s: float,
    pass_fds: tuple[int, ...],
) -> subprocess.CompletedProcess[bytes]:
    """Run ffprobe on one file with its sniffed demuxer forced and only file/pipe allowed."""
    command = [
        "ffprobe", "-v", "error", "-protocol_whitelist", PROTOCOL_WHITELIST,
        "-f", DEMUXERS[container], *query, f"file:{path}",
    ]  # fmt: skip
    try:
        return subprocess.run(
            command, capture_output=True, timeout=timeout_s, check=False, pass_fds=pass_fds
        )
    except subprocess.TimeoutExpired:
        raise UnreadableAudio("reading the audio took too long; the file may be damaged") from None


def _duration_from_packets(
    path: Path | str, container: str, timeout_s: float, pass_fds: tuple[int, ...]
) -> float:
    """Where the last audio packet ends: the duration of a file whose header does not say."""
    query = [
        "-select_streams",
        "a:0",
        "-show_entries",
        "packet=pts_time,duration_time",
        "-of",
        "csv=p=0",
    ]
    result = _ffprobe(path, container, query, timeout_s, pass_fds)
    end = 0.0
    for line in result.stdout.decode(errors="replace").splitlines():
        pts, _, length = line.partition(",")
        try:
            end = max(end, float(pts) + float(length or 0))
        except ValueError:
            continue
    return end


def probe(
    path: Path | str, container: str, timeout_s: float = 30, pass_fds: tuple[int, ...] = ()
) -> AudioInfo:
    """Read the duration of an audio file with ffprobe, restricted to its sniffed demuxer.

    ``path`` may be ``/proc/self/fd/N`` for an in-memory file whose descriptor is in ``pass_fds``.
    """
    query = ["-show_entries", "format=duration:stream=codec_type", "-of", "json"]
    result = _ffprobe(path, container, query, timeout_s, pass_fds)
    if result.returncode != 0:
        raise UnreadableAudio(f"the {container} file could not be read; it may be damaged")
    info = json.loads(result.stdout or b"{}")
    if not any(s.get("codec_type") == "audio" for s in info.get("streams", [])):
        raise UnreadableAudio(f"the {container} file has no audio track")
    try:
        duration = float(info.get("format", {}).get("duration", "nan"))
    except ValueError:
        duration = float("nan")
    if duration != duration:  # NaN: no duration in the header, as in a browser's MediaRecorder WebM
        duration = _duration_from_packets(path, container, timeout_s, pass_fds)
    if not duration >= MIN_DURATION_S:
        raise UnreadableAudio(f"the {container} file is too short or truncated")
    return AudioInfo(container=container, duration_s=duration)
