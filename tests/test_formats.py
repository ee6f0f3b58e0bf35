"""Transcript files: SubRip, WebVTT, text and JSON renderings of stored segments."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from service.formats import MEDIA_TYPES, render, to_json, to_srt, to_txt, to_vtt


@dataclass
class Seg:
    start: float
    end: float
    text: str


SEGMENTS = [
    Seg(1.5, 3.25, " And so my fellow Americans, "),
    Seg(3.25, 7.0, "ask not what your country can do for you."),
]


def test_srt_numbers_cues_and_uses_comma_milliseconds() -> None:
    assert to_srt(SEGMENTS) == (
        "1\n00:00:01,500 --> 00:00:03,250\nAnd so my fellow Americans,\n"
        "\n"
        "2\n00:00:03,250 --> 00:00:07,000\nask not what your country can do for you.\n"
    )


def test_srt_hours() -> None:
    srt = to_srt([Seg(3725.5, 3725.75, "an hour in")])
    assert "01:02:05,500 --> 01:02:05,750" in srt


@pytest.mark.parametrize(
    ("seconds", "stamp"),
    [(0, "00:00:00,000"), (59.9996, "00:01:00,000"), (36000.001, "10:00:00,001"),
     (-0.2, "00:00:00,000")],
)  # fmt: skip
def test_srt_timestamps_round_and_carry(seconds: float, stamp: str) -> None:
    assert to_srt([Seg(seconds, seconds, "x")]).splitlines()[1] == f"{stamp} --> {stamp}"


def test_vtt_header_and_dot_milliseconds() -> None:
    vtt = to_vtt(SEGMENTS)
    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:01.500 --> 00:00:03.250\nAnd so my fellow Americans,\n" in vtt
    assert "00:00:03.250 --> 00:00:07.000\nask not what your country can do for you.\n" in vtt
    assert "," not in vtt.replace("Americans,", "")  # no SubRip separators
    assert to_vtt([Seg(3725.5, 3726, "x")]).splitlines()[2] == "01:02:05.500 --> 01:02:06.000"


def test_vtt_neutralises_arrow_in_cue_text() -> None:
    vtt = to_vtt([Seg(0, 1, "home --> office --> home")])
    lines = vtt.splitlines()
    assert lines[2] == "00:00:00.000 --> 00:00:01.000"
    assert "-->" not in lines[3]
    assert "home" in lines[3] and "office" in lines[3]
    assert sum("-->" in line for line in lines) == 1  # only the timing line


def test_vtt_without_segments_is_just_the_header() -> None:
    assert to_vtt([]) == "WEBVTT\n\n"


def test_txt_strips_and_ends_with_newline() -> None:
    assert to_txt("  Ask what you can do.  \n\n") == "Ask what you can do.\n"
    assert to_txt("") == ""
    assert to_txt("   \n ") == ""


def test_json_round_trips_non_ascii() -> None:
    payload = {"text": "Café, 日本へ行きたい", "segments": [{"start": 0.0, "end": 1.5}], "n": 3}
    rendered = to_json(payload)
    assert json.loads(rendered) == payload
    assert "é" in rendered and "日本" in rendered  # written as UTF-8, not \u escapes
    assert rendered.endswith("\n")


def test_render_dispatches_and_refuses_unknown() -> None:
    payload = {"text": "hi"}
    assert render("txt", " hi ", SEGMENTS, payload) == "hi\n"
    assert render("srt", "", SEGMENTS, payload) == to_srt(SEGMENTS)
    assert render("vtt", "", SEGMENTS, payload) == to_vtt(SEGMENTS)
    assert json.loads(render("json", "", SEGMENTS, payload)) == payload
    with pytest.raises(ValueError, match="docx"):
        render("docx", "", SEGMENTS, payload)
    assert set(MEDIA_TYPES) == {"txt", "srt", "vtt", "json"}
