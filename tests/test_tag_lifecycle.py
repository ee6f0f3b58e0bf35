"""Tags, evidence, client overrides and mood through transcript edits and re-transcriptions.

The client's word is final: a tag they removed never comes back, a tag they added stays, and a
mood they gave is never replaced by one said in the recording. What came from the transcript
(auto tags, their status and evidence, the transcript's mood) follows the latest text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.db import db
from service.models import Note, NoteTag
from service.tagging import extract_mood, tag_transcript
from service.transcripts import TimedSpan, store_transcription
from tests.conftest import DATA, JFK_WORDS, words
from tests.reflections import add_note, spans_of
from workers.engines import load_engine
from workers.engines.base import Engine, EngineOptions
from workers.jobs import transcribe_note
from workers.runtime import Runtime, install_runtime, reset_runtime

Headers = dict[str, str]
Upload = Callable[..., Any]

FIRST = (
    "Session is done. I tried the breathing exercise and it helped. "
    "I avoided talking about school again. I'm a six out of ten."
)
# Words added before the tags' words shift every offset; the outcome and the rating change.
EDITED = (
    "Long day at school. Session is done. I tried the breathing exercise but it didn't help. "
    "I avoided talking about school again. I'm a four out of ten."
)
HEARD_AGAIN = (
    "Session is done. I tried grounding and it helped. "
    "I avoided talking about school again. I'm a two out of ten."
)


def note_json(client: FlaskClient, headers: Headers, note_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/notes/{note_id}", headers=headers)
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json
    return result


def visible(note: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {t["name"]: (t["source"], t["status"]) for t in note["tags"]}


def tag_rows(app: Flask, note_id: str) -> dict[str, NoteTag]:
    with app.app_context():
        rows = db.session.scalars(select(NoteTag).where(NoteTag.note_id == note_id))
        return {row.name: row for row in rows}


def expected_auto(text: str, removed: set[str]) -> dict[str, tuple[str, str | None]]:
    return {t.name: ("auto", t.status) for t in tag_transcript(text) if t.name not in removed}


def assert_evidence_points_at_the_words(note: dict[str, Any]) -> None:
    """Every span cuts, from the text shown, exactly the words the tagger found there."""
    text = note["transcript"]["text"]
    found = {t.name: t for t in tag_transcript(text)}
    for tag in note["tags"]:
        if tag["source"] != "auto":
            continue
        spans = [(e["start"], e["end"], e["text"]) for e in tag["evidence"]]
        assert spans == [(e.start, e.end, e.text) for e in found[tag["name"]].evidence]
        assert all(text[s:e] == cut for s, e, cut in spans)


def customised(
    app: Flask, client: FlaskClient, upload: Upload, headers: Headers, audio: Path | None = None
) -> str:
    """A note tagged from FIRST, then changed by hand: one auto tag removed, one tag added."""
    if audio is None:
        note_id = add_note(app, upload, headers, FIRST, tags="family")
    else:
        note_id = upload(headers, audio, tags="family").json["id"]
        give = [TimedSpan(0.0, 11.0, FIRST)]
        with app.app_context():
            note = db.session.get(Note, note_id)
            store_transcription(note, FIRST, "en", "test", "none", give)
            note.status = "transcribed"
            db.session.commit()
    note = note_json(client, headers, note_id)
    assert visible(note) == {"family": ("client", None), **expected_auto(FIRST, set())}
    assert (note["mood"], note["mood_source"]) == (6, "transcript")
    assert_evidence_points_at_the_words(note)
    keep = ["family", "theme:resistance", "tool:breathing"]  # prompt:avoided taken away
    answer = client.patch(f"/api/v1/notes/{note_id}", headers=headers, json={"tags": keep})
    assert answer.status_code == 200
    assert "prompt:avoided" not in visible(answer.json)
    return note_id


def test_a_transcript_edit_keeps_the_clients_choices_and_moves_the_evidence(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    note_id = customised(app, client, upload, headers)
    url = f"/api/v1/notes/{note_id}"
    edited = client.patch(url, headers=headers, json={"transcript": EDITED})
    assert edited.status_code == 200
    note = edited.json
    assert "avoided talking" in note["transcript"]["text"]
    assert visible(note) == {"family": ("client", None),
                             **expected_auto(EDITED, {"prompt:avoided"})}  # fmt: skip
    assert visible(note)["tool:breathing"] == ("auto", "didnt-help")
    assert_evidence_points_at_the_words(note)
    breathing = next(t for t in note["tags"] if t["name"] == "tool:breathing")
    assert [e["text"] for e in breathing["evidence"]] == ["tried the breathing"]
    assert breathing["evidence"][0]["start"] == EDITED.index("tried the breathing")
    assert (note["mood"], note["mood_source"]) == (4, "transcript")  # the new rating
    tomb = tag_rows(app, note_id)["prompt:avoided"]
    assert (tomb.source, tomb.removed) == ("auto", True)
    # A mood the client gives is never replaced by one said in a later edit...
    assert client.patch(url, headers=headers, json={"mood": 9}).status_code == 200
    said_two = EDITED.replace("a four", "a two")
    note = client.patch(url, headers=headers, json={"transcript": said_two}).json
    assert (note["mood"], note["mood_source"]) == (9, "client")
    # ...until they clear it, when the mood said in the note is used again.
    note = client.patch(url, headers=headers, json={"mood": None}).json
    assert (note["mood"], note["mood_source"]) == (2, "transcript")
    # Without a rating in the text there is no transcript mood at all.
    unrated = said_two.replace(" I'm a two out of ten.", "")
    assert extract_mood(unrated) is None
    note = client.patch(url, headers=headers, json={"transcript": unrated}).json
    assert (note["mood"], note["mood_source"]) == (None, None)
    assert "prompt:avoided" not in visible(note) and "family" in visible(note)


def test_a_retranscription_keeps_the_clients_choices(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    note_id = customised(app, client, upload, headers)
    url = f"/api/v1/notes/{note_id}"
    assert (
        client.patch(
            url,
            headers=headers,
            json={"tags": ["family", "theme:resistance", "tool:breathing", "tool:grounding"]},
        ).status_code
        == 200
    )
    with app.app_context():  # Whisper runs again and hears the note a little differently
        note = db.session.get(Note, note_id)
        store_transcription(note, HEARD_AGAIN, "en", "test", "none", spans_of(HEARD_AGAIN))
        db.session.commit()
    note = note_json(client, headers, note_id)
    auto = expected_auto(HEARD_AGAIN, {"prompt:avoided", "tool:grounding"})
    # Breathing is no longer heard, so its auto tag goes; grounding stays the client's own tag,
    # now with the status heard in the note; the removed prompt stays removed.
    assert visible(note) == {"family": ("client", None),
                             "tool:grounding": ("client", "helped"), **auto}  # fmt: skip
    assert "tool:breathing" not in visible(note) and "prompt:avoided" not in visible(note)
    assert (note["mood"], note["mood_source"]) == (2, "transcript")
    grounding = next(t for t in note["tags"] if t["name"] == "tool:grounding")
    assert [e["text"] for e in grounding["evidence"]] == ["grounding"]
    assert client.patch(url, headers=headers, json={"mood": 7}).status_code == 200
    with app.app_context():
        note_row = db.session.get(Note, note_id)
        store_transcription(note_row, FIRST, "en", "test", "none", spans_of(FIRST))
        db.session.commit()
    note = note_json(client, headers, note_id)
    assert (note["mood"], note["mood_source"]) == (7, "client")
    assert "prompt:avoided" not in visible(note)
    assert visible(note)["tool:breathing"] == ("auto", "helped")
    assert_evidence_points_at_the_words(note)


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """faster-whisper with the bundled tiny.en weights, loaded once for this module."""
    cache = tmp_path_factory.mktemp("models")
    return load_engine("faster-whisper", "tiny.en", EngineOptions(beam_size=5), cache)


@pytest.fixture
def worker_runtime(app: Flask, whisper: Engine) -> Iterator[None]:
    audio_store = app.extensions["homeward.audio"]
    install_runtime(Runtime(app, app.config["HOMEWARD"], whisper, audio_store))
    yield
    reset_runtime()


def test_a_rerun_of_the_worker_keeps_the_clients_choices(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Upload,
    worker_runtime: None,
) -> None:
    headers = sign_up()
    note_id = customised(app, client, upload, headers, audio=DATA / "jfk.flac")
    url = f"/api/v1/notes/{note_id}"
    assert client.patch(url, headers=headers, json={"mood": 8}).status_code == 200
    with app.app_context():
        db.session.get(Note, note_id).status = "queued"
        db.session.commit()
    assert transcribe_note(note_id) == "transcribed"
    note = note_json(client, headers, note_id)
    heard = note["transcript"]["text"]
    assert words(heard) == JFK_WORDS
    # Nothing of FIRST is heard in this audio: its auto tags go, the client's stay.
    assert visible(note) == {"family": ("client", None), **expected_auto(heard, set())}
    assert (note["mood"], note["mood_source"]) == (8, "client")
    # The client corrects the transcript back to what they said: the removed tag stays removed.
    note = client.patch(url, headers=headers, json={"transcript": FIRST}).json
    assert "prompt:avoided" not in visible(note)
    assert visible(note)["tool:breathing"] == ("auto", "helped")
    assert (note["mood"], note["mood_source"]) == (8, "client")
    assert_evidence_points_at_the_words(note)
