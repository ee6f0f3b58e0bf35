"""Transcript files: plain text, SubRip, WebVTT and JSON, from stored segments."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol


class TimedText(Protocol):
    start: float
    end: float
    text: str


MEDIA_TYPES = {
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
}


def _timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_txt(text: str) -> str:
    return text.strip() + "\n" if text.strip() else ""


def to_srt(segments: Sequence[TimedText]) -> str:
    blocks = []
    for number, seg in enumerate(segments, start=1):
        span = f"{_timestamp(seg.start, ',')} --> {_timestamp(seg.end, ',')}"
        blocks.append(f"{number}\n{span}\n{seg.text.strip()}\n")
    return "\n".join(blocks)


def to_vtt(segments: Sequence[TimedText]) -> str:
    # "-->" inside a cue would end it early; WebVTT has no escape for it, so spell it out.
    cues = [
        f"{_timestamp(s.start, '.')} --> {_timestamp(s.end, '.')}\n"
        f"{s.text.strip().replace('-->', '->')}\n"
        for s in segments
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def to_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def render(fmt: str, text: str, segments: Sequence[TimedText], payload: dict[str, Any]) -> str:
    """Render one of txt, srt, vtt or json."""
    if fmt == "txt":
        return to_txt(text)
    if fmt == "srt":
        return to_srt(segments)
    if fmt == "vtt":
        return to_vtt(segments)
    if fmt == "json":
        return to_json(payload)
    raise ValueError(f"unknown transcript format {fmt!r}")
