"""The notes API without Whisper: uploads, errors, timeline, edits, deletion, files."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
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
from service.transcripts import TimedSpan, store_transcription
from tests.conftest import DATA

Headers = dict[str, str]


def audio_path_of(app: Flask, note_id: str) -> Path:
    with app.app_context():
        note = db.session.get(Note, note_id)
        assert note is not None
        return app.extensions["homeward.audio"].path_of(note.audio_path)


def plain_audio(app: Flask, note_id: str) -> bytes:
    with app.app_context():
        note = db.session.get(Note, note_id)
        assert note is not None
        store = app.extensions["homeward.audio"]
        with store.open_plain(note.audio_path, vault.keys_for(note.owner_id), note.id) as fh:
            return fh.read()


def give_transcript(app: Flask, note_id: str, spans: list[TimedSpan]) -> None:
    """Store a transcript as the worker would, without running Whisper."""
    with app.app_context():
        note = db.session.get(Note, note_id)
        assert note is not None
        store_transcription(note, " ".join(s.text for s in spans), "en", "test", "none", spans)
        note.status, note.progress = "transcribed", 1.0
        db.session.commit()


@pytest.mark.parametrize("ext", ["m4a", "mp4", "webm", "ogg", "mp3", "wav", "flac", "3gp"])
def test_upload_every_recording_format(
    app: Flask, sign_up: Callable[..., Headers], upload: Any, audio_files: dict[str, Path], ext: str
) -> None:
    headers = sign_up()
    answer = upload(
        headers,
        audio_files[ext],
        mood="6",
        tags="tool:breathing, Family",
        title="After session",
        recorded_at="2026-11-20T18:30:00+01:00",
    )
    assert answer.status_code == 202, answer.json
    note = answer.json
    assert answer.headers["Location"] == f"/api/v1/notes/{note['id']}"
    assert note["status"] == "queued" and note["progress"] == 0.0 and note["transcript"] is None
    assert note["recorded_at"] == "2026-11-20T17:30:00Z"
    assert note["mood"] == 6 and note["mood_source"] == "client"
    assert [(t["name"], t["source"]) for t in note["tags"]] == [
        ("family", "client"),
        ("tool:breathing", "client"),
    ]
    assert note["duration_s"] == pytest.approx(11.0, abs=0.3)
    # The audio is on disk, sealed, before the answer came back, and opens to the original bytes.
    stored = audio_path_of(app, note["id"])
    original = audio_files[ext].read_bytes()
    assert original[:64] not in stored.read_bytes()
    assert plain_audio(app, note["id"]) == original


def test_upload_queues_a_job_carrying_only_the_note_id(
    app: Flask, sign_up: Callable[..., Headers], upload: Any, redis_url: str
) -> None:
    note = upload(sign_up(), DATA / "jfk.flac").json
    queue = Queue("homeward-transcribe", connection=Redis.from_url(redis_url))
    assert queue.job_ids == [job_id_for(note["id"])]
    job = queue.fetch_job(job_id_for(note["id"]))
    assert job is not None
    assert job.func_name == "workers.jobs.transcribe_note"
    assert job.args == (note["id"],) and job.kwargs == {}
    # A 11 s note gets more than the base time; an hour-long note far more than RQ's 180 s.
    assert job.timeout is not None and job.timeout > 120


def test_upload_errors_say_what_is_wrong(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], tmp_path: Path
) -> None:
    headers = sign_up()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({}, 400, "missing_audio"),
        ({"audio": (io.BytesIO(b""), "empty.m4a")}, 415, "unsupported_audio"),
        (
            {"audio": (io.BytesIO(b"dear diary, today was hard"), "note.m4a")},
            415,
            "unsupported_audio",
        ),
        ({"audio": (io.BytesIO(b"%PDF-1.7\n" + b"0" * 500), "note.mp3")}, 415, "unsupported_audio"),
        (
            {"audio": (io.BytesIO((DATA / "jfk.flac").read_bytes()[:300]), "cut.flac")},
            422,
            "unreadable_audio",
        ),
        ({"audio": (DATA / "jfk.flac").open("rb"), "mood": "11"}, 422, "invalid_mood"),
        ({"audio": (DATA / "jfk.flac").open("rb"), "mood": "six"}, 422, "invalid_mood"),
        (
            {"audio": (DATA / "jfk.flac").open("rb"), "recorded_at": "yesterday"},
            422,
            "invalid_recorded_at",
        ),
        (
            {"audio": (DATA / "jfk.flac").open("rb"), "tags": "not a valid::tag"},
            422,
            "invalid_tags",
        ),
        ({"audio": (DATA / "jfk.flac").open("rb"), "title": "x" * 201}, 422, "invalid_title"),
    ]
    for data, status, code in cases:
        answer = client.post("/api/v1/notes", headers=headers, data=data)
        assert answer.status_code == status, (data, answer.json)
        assert answer.json["error"]["code"] == code
        assert len(answer.json["error"]["message"]) > 10
    text_answer = client.post(
        "/api/v1/notes", headers=headers, data={"audio": (io.BytesIO(b"hello there"), "x.m4a")}
    )
    assert "text" in text_answer.json["error"]["message"]
    # Nothing refused was kept: no rows, no files.
    assert client.get("/api/v1/notes", headers=headers).json["notes"] == []
    audio_root = app.extensions["homeward.audio"].root
    assert [p for p in audio_root.rglob("*") if p.is_file()] == []


def test_upload_over_the_size_limit_is_413(make_app: Callable[..., Flask]) -> None:
    client = make_app(max_upload_mb=1).test_client()
    client.post("/api/v1/accounts", json={"email": "big@example.org", "password": "p" * 12})
    token = client.post("/api/v1/tokens", json={"email": "big@example.org", "password": "p" * 12})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    answer = client.post(
        "/api/v1/notes", headers=headers, data={"audio": (io.BytesIO(b"\0" * (2 << 20)), "big.wav")}
    )
    assert answer.status_code == 413
    assert "MiB" in answer.json["error"]["message"]


def test_notes_of_other_clients_are_not_found(
    client: FlaskClient, sign_up: Callable[..., Headers], upload: Any
) -> None:
    alice, bob = sign_up(), sign_up()
    note = upload(alice, DATA / "jfk.flac").json
    for method, suffix in [("get", ""), ("patch", ""), ("delete", ""), ("get", "/transcript.txt")]:
        kwargs: dict[str, Any] = {"json": {"title": "mine"}} if method == "patch" else {}
        answer = getattr(client, method)(
            f"/api/v1/notes/{note['id']}{suffix}", headers=bob, **kwargs
        )
        assert answer.status_code == 404, (method, suffix)
        unknown = getattr(client, method)(
            f"/api/v1/notes/{'0' * 32}{suffix}", headers=bob, **kwargs
        )
        assert unknown.json == answer.json
    assert client.get("/api/v1/notes", headers=bob).json["notes"] == []
    assert client.get(f"/api/v1/notes/{note['id']}", headers=alice).status_code == 200


def test_timeline_order_pages_and_filters(
    client: FlaskClient, sign_up: Callable[..., Headers], upload: Any
) -> None:
    headers = sign_up()
    days = ["2026-11-03", "2026-11-01", "2026-11-05", "2026-11-02", "2026-11-04"]
    ids = {}
    for day in days:
        tags = "tool:breathing" if day in ("2026-11-01", "2026-11-05") else ""
        ids[day] = upload(
            headers, DATA / "hotwords.mp3", recorded_at=f"{day}T20:00:00Z", tags=tags
        ).json["id"]
    first = client.get("/api/v1/notes?limit=2", headers=headers).json
    assert [n["id"] for n in first["notes"]] == [ids["2026-11-05"], ids["2026-11-04"]]
    second = client.get(
        f"/api/v1/notes?limit=2&cursor={first['next_cursor']}", headers=headers
    ).json
    third = client.get(
        f"/api/v1/notes?limit=2&cursor={second['next_cursor']}", headers=headers
    ).json
    assert [n["id"] for n in second["notes"]] == [ids["2026-11-03"], ids["2026-11-02"]]
    assert [n["id"] for n in third["notes"]] == [ids["2026-11-01"]] and third["next_cursor"] is None
    tagged = client.get("/api/v1/notes?tag=tool:breathing", headers=headers).json["notes"]
    assert [n["id"] for n in tagged] == [ids["2026-11-05"], ids["2026-11-01"]]
    window = client.get(
        "/api/v1/notes?since=2026-11-02T00:00:00Z&until=2026-11-04T00:00:00Z", headers=headers
    ).json["notes"]
    assert [n["id"] for n in window] == [ids["2026-11-03"], ids["2026-11-02"]]
    assert len(client.get("/api/v1/notes?status=queued", headers=headers).json["notes"]) == 5
    assert client.get("/api/v1/notes?status=transcribed", headers=headers).json["notes"] == []
    for bad in ("status=done", "limit=0", "limit=x", "since=soon", "cursor=%%%"):
        assert client.get(f"/api/v1/notes?{bad}", headers=headers).status_code == 422, bad


def test_edit_title_mood_and_tags(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Any
) -> None:
    headers = sign_up()
    note = upload(headers, DATA / "jfk.flac", tags="people:mom").json
    url = f"/api/v1/notes/{note['id']}"
    edited = client.patch(
        url, headers=headers, json={"title": "Drive home", "mood": 4, "tags": ["tool:grounding"]}
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["title"] == "Drive home"
    assert edited.json["mood"] == 4 and edited.json["mood_source"] == "client"
    assert [t["name"] for t in edited.json["tags"]] == ["tool:grounding"]
    assert client.get(url, headers=headers).json["tags"] == edited.json["tags"]
    for body, code in [
        ({}, "invalid_body"),
        ({"owner_id": "x"}, "unknown_field"),
        ({"mood": 0}, "invalid_mood"),
        ({"transcript": "too early"}, "not_transcribed"),
    ]:
        answer = client.patch(url, headers=headers, json=body)
        assert answer.json["error"]["code"] == code, body
    assert client.get(url, headers=headers).json["title"] == "Drive home"


def test_edit_transcript_keeps_times_and_files_follow(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Any
) -> None:
    headers = sign_up()
    note = upload(headers, DATA / "jfk.flac").json
    give_transcript(app, note["id"], [
        TimedSpan(0.0, 4.2, "And so my fellow Americans,"),
        TimedSpan(4.2, 8.0, "ask not what your country can do for you,"),
        TimedSpan(8.0, 11.0, "ask what you can do for your country."),
    ])  # fmt: skip
    url = f"/api/v1/notes/{note['id']}"
    fixed = (
        "And so, my fellow Americans: ask not what your country can do for you; "
        "ask what you can do for your whole country."
    )
    answer = client.patch(url, headers=headers, json={"transcript": fixed})
    assert answer.status_code == 200
    segments = answer.json["transcript"]["segments"]
    assert [(s["start"], s["end"]) for s in segments] == [(0.0, 4.2), (4.2, 8.0), (8.0, 11.0)]
    assert segments[2]["text"] == "ask what you can do for your whole country."
    assert answer.json["transcript"]["text"] == fixed
    srt = client.get(f"{url}/transcript.srt", headers=headers)
    assert srt.status_code == 200 and srt.mimetype == "application/x-subrip"
    assert (
        "3\n00:00:08,000 --> 00:00:11,000\nask what you can do for your whole country." in srt.text
    )
    vtt = client.get(f"{url}/transcript.vtt", headers=headers).text
    assert vtt.startswith("WEBVTT") and "00:00:04.200 --> 00:00:08.000" in vtt
    assert client.get(f"{url}/transcript.txt", headers=headers).text == fixed + "\n"
    as_json = client.get(f"{url}/transcript.json", headers=headers)
    assert as_json.json["transcript"]["text"] == fixed
    assert "attachment" in as_json.headers["Content-Disposition"]
    assert client.get(f"{url}/transcript.docx", headers=headers).status_code == 404


def test_transcript_file_before_transcription_is_409(
    client: FlaskClient, sign_up: Callable[..., Headers], upload: Any
) -> None:
    headers = sign_up()
    note = upload(headers, DATA / "jfk.flac").json
    answer = client.get(f"/api/v1/notes/{note['id']}/transcript.txt", headers=headers)
    assert answer.status_code == 409 and "queued" in answer.json["error"]["message"]


def test_delete_removes_note_audio_and_job(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Any, redis_url: str
) -> None:
    headers = sign_up()
    keep = upload(headers, DATA / "hotwords.mp3").json
    note = upload(headers, DATA / "jfk.flac").json
    audio = audio_path_of(app, note["id"])
    assert audio.exists()
    answer = client.delete(f"/api/v1/notes/{note['id']}", headers=headers)
    assert answer.status_code == 204 and answer.data == b""
    assert not audio.exists()
    assert client.get(f"/api/v1/notes/{note['id']}", headers=headers).status_code == 404
    queue = Queue("homeward-transcribe", connection=Redis.from_url(redis_url))
    assert queue.job_ids == [job_id_for(keep["id"])]
    assert audio_path_of(app, keep["id"]).exists()
    assert client.delete(f"/api/v1/notes/{note['id']}", headers=headers).status_code == 404


def test_same_audio_twice_makes_two_notes_with_the_same_hash(
    app: Flask, sign_up: Callable[..., Headers], upload: Any
) -> None:
    headers = sign_up()
    first, second = (upload(headers, DATA / "jfk.flac").json for _ in range(2))
    assert first["id"] != second["id"]
    digest = hashlib.sha256((DATA / "jfk.flac").read_bytes()).hexdigest()
    with app.app_context():
        assert {db.session.get(Note, n["id"]).audio_sha256 for n in (first, second)} == {digest}


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readiness_reports_a_missing_redis(make_app: Callable[..., Flask]) -> None:
    ready = make_app(redis_url="redis://127.0.0.1:1/0").test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"] == "ok"
    assert ready.json["checks"]["redis"].startswith("unreachable")
