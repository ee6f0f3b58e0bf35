"""Helpers for tests that need transcribed notes without running Whisper."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from service.transcripts import TimedSpan
from tests.conftest import DATA
from tests.test_api_notes import give_transcript

Headers = dict[str, str]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def spans_of(text: str) -> list[TimedSpan]:
    """One timed segment per sentence, four seconds each, as Whisper would roughly give."""
    sentences = [s for s in _SENTENCE.split(text.strip()) if s]
    return [TimedSpan(4.0 * i, 4.0 * (i + 1), s) for i, s in enumerate(sentences)]


def add_note(
    app: Flask,
    upload: Callable[..., Any],
    headers: Headers,
    text: str | None,
    **fields: str,
) -> str:
    """Upload a short recording with ``fields`` (title, recorded_at, mood, tags) and, unless
    ``text`` is None, give it ``text`` as its transcript; returns the note id."""
    answer = upload(headers, DATA / "hotwords.mp3", **fields)
    assert answer.status_code == 202, answer.json
    note_id: str = answer.json["id"]
    if text is not None:
        give_transcript(app, note_id, spans_of(text))
    return note_id
