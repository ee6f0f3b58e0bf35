"""The whole pipeline in-process: API upload, real Redis, a burst worker, real Whisper weights."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from service import vault
from service.db import db
from service.models import Note
from service.queueing import job_id_for
from tests.conftest import DATA, JFK_WORDS, words
from workers.engines import load_engine
from workers.engines.base import Engine, EngineOptions
from workers.jobs import ProgressReporter, transcribe_note
from workers.runtime import Runtime, install_runtime, reset_runtime
from workers.worker import run_worker

Headers = dict[str, str]


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Engine]:
    """Both engines with the bundled tiny.en weights, each loaded once for the whole run."""
    cache = tmp_path_factory.mktemp("models")
    options = EngineOptions(beam_size=5)
    return {
        name: load_engine(name, "tiny.en", options, cache)
        for name in ("faster-whisper", "openai-whisper")
    }


@pytest.fixture(params=["faster-whisper", "openai-whisper"])
def engine(request: pytest.FixtureRequest, engines: dict[str, Engine]) -> Engine:
    return engines[request.param]


@pytest.fixture
def work(app: Flask, engine: Engine) -> Iterator[Callable[[], None]]:
    """Run a burst worker (RQ's SimpleWorker, as in production) over the queue."""
    settings = app.config["HOMEWARD"]
    install_runtime(Runtime(app, settings, engine, app.extensions["homeward.audio"]))
    yield lambda: run_worker(app, burst=True)
    reset_runtime()


def note_of(client: FlaskClient, headers: Headers, note_id: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/notes/{note_id}", headers=headers)
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json
    return result


def test_real_speech_is_transcribed_onto_the_timeline(
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    work: Callable[[], None],
    engine: Engine,
) -> None:
    headers = sign_up()
    jfk = upload(headers, DATA / "jfk.flac", title="jfk", recorded_at="2026-11-20T10:00:00Z").json
    hot = upload(headers, DATA / "hotwords.mp3", recorded_at="2026-11-21T10:00:00Z").json
    work()
    note = note_of(client, headers, jfk["id"])
    assert note["status"] == "transcribed" and note["progress"] == 1.0 and note["error"] is None
    transcript = note["transcript"]
    assert words(transcript["text"]) == JFK_WORDS
    assert transcript["engine"] == engine.name and transcript["model"] == "tiny.en"
    assert transcript["language"] == "en"
    segments = transcript["segments"]
    assert segments and segments[0]["start"] < 1.0 and 9.0 < segments[-1]["end"] <= 11.5
    assert all(s["start"] < s["end"] for s in segments)
    assert words(" ".join(s["text"] for s in segments)) == JFK_WORDS
    hotwords = words(note_of(client, headers, hot["id"])["transcript"]["text"])
    for word in ("then", "you", "go", "into", "your", "folder", "again"):
        assert word in hotwords
    timeline = client.get("/api/v1/notes", headers=headers).json["notes"]
    assert [n["id"] for n in timeline] == [hot["id"], jfk["id"]]
    assert all(n["status"] == "transcribed" for n in timeline)


def test_silence_is_transcribed_empty_and_flagged(
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    work: Callable[[], None],
    tmp_path: Path,
) -> None:
    silence = tmp_path / "silence.wav"
    subprocess.run(
        ["sox", "-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", "8"], check=True
    )
    headers = sign_up()
    note_id = upload(headers, silence).json["id"]
    work()
    note = note_of(client, headers, note_id)
    assert note["status"] == "transcribed"
    assert note["transcript"]["text"] == "" and note["transcript"]["no_speech"] is True
    assert note["transcript"]["segments"] == []


def test_sealed_audio_altered_on_disk_fails_as_an_integrity_error(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    work: Callable[[], None],
) -> None:
    headers = sign_up()
    note_id = upload(headers, DATA / "jfk.flac").json["id"]
    with app.app_context():
        path = app.extensions["homeward.audio"].path_of(db.session.get(Note, note_id).audio_path)
    path.write_bytes(path.read_bytes()[:64])
    work()
    note = note_of(client, headers, note_id)
    assert note["status"] == "failed"
    assert note["error"]["code"] == "audio_integrity"
    assert "altered" in note["error"]["message"] and "backup" in note["error"]["message"]
    assert note["transcript"] is None


def test_audio_that_cannot_be_decoded_fails_with_an_actionable_error(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    work: Callable[[], None],
) -> None:
    headers = sign_up()
    note_id = upload(headers, DATA / "jfk.flac").json["id"]
    with app.app_context():  # intact encryption around audio that is broken inside
        note = db.session.get(Note, note_id)
        path = app.extensions["homeward.audio"].path_of(note.audio_path)
        with path.open("wb") as out:
            keys = vault.keys_for(note.owner_id)
            keys.seal_audio(note_id, io.BytesIO((DATA / "jfk.flac").read_bytes()[:300]), out)
    work()
    note_json = note_of(client, headers, note_id)
    assert note_json["status"] == "failed"
    assert note_json["error"]["code"] == "undecodable_audio"
    assert "upload another file" in note_json["error"]["message"]


def test_running_a_job_twice_leaves_one_transcript(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    work: Callable[[], None],
) -> None:
    headers = sign_up()
    note_id = upload(headers, DATA / "jfk.flac").json["id"]
    work()
    first = note_of(client, headers, note_id)
    assert transcribe_note(note_id) == "already-transcribed"
    with app.app_context():  # even when forced to run again from "queued"
        note = db.session.get(Note, note_id)
        note.status = "queued"
        db.session.commit()
    assert transcribe_note(note_id) == "transcribed"
    again = note_of(client, headers, note_id)
    assert again["transcript"]["segments"] == first["transcript"]["segments"]
    assert [t["name"] for t in again["tags"]] == [t["name"] for t in first["tags"]]


def test_a_note_deleted_before_its_job_runs_is_skipped(
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    work: Callable[[], None],
    redis_url: str,
) -> None:
    headers = sign_up()
    note_id = upload(headers, DATA / "jfk.flac").json["id"]
    queue = Queue("homeward-transcribe", connection=Redis.from_url(redis_url))
    queue.enqueue("workers.jobs.transcribe_note", note_id, job_id="leftover")
    assert client.delete(f"/api/v1/notes/{note_id}", headers=headers).status_code == 204
    work()
    assert queue.fetch_job("leftover").return_value() == "gone"
    assert queue.fetch_job(job_id_for(note_id)) is None


@pytest.fixture
def report(app: Flask, sign_up: Any, upload: Any) -> Iterator[ProgressReporter]:
    """A progress reporter for a freshly uploaded note, inside the app's context."""
    note_id = upload(sign_up(), DATA / "jfk.flac").json["id"]
    with app.app_context():
        yield ProgressReporter(db.session.get(Note, note_id))


def test_progress_is_written_throttled_and_never_backwards(report: ProgressReporter) -> None:
    report(0.4)
    report(0.2)  # never backwards
    report.last_write = 0.0
    report(0.3)
    assert report.note.progress == 0.4
    report.last_write = 0.0
    report(1.0)  # 1.0 is only set when the transcript is stored
    assert report.note.progress == 0.99


def test_progress_steps_are_written_at_once_and_the_model_fills_the_rest(
    report: ProgressReporter,
) -> None:
    report.step(0.05)
    report.step(0.1)  # not throttled, unlike the model's reports
    assert report.note.progress == 0.1
    report.last_write = 0.0
    report(0.5)  # half the audio: half of what is left after the steps
    assert report.note.progress == 0.55
    report.last_write = 0.0
    report(0.0)
    assert report.note.progress == 0.55
