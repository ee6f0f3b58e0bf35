"""Idempotency-Key on uploads: retries never make a second note."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import select

from service.db import db
from service.models import IdempotencyKey, utcnow
from tests.conftest import DATA

Headers = dict[str, str]


def post(client: FlaskClient, headers: Headers, path: Path, key: str | None, **fields: str) -> Any:
    extra = {"Idempotency-Key": key} if key else {}
    with path.open("rb") as fh:
        return client.post("/api/v1/notes", headers={**headers, **extra},
                           data={"audio": (fh, path.name), **fields})


def test_same_key_and_content_returns_the_first_answer(
    client: FlaskClient, sign_up: Callable[..., Headers], redis_url: str
) -> None:
    me = sign_up()
    first = post(client, me, DATA / "jfk.flac", "k-1", title="drive home", mood="5")
    again = post(client, me, DATA / "jfk.flac", "k-1", title="drive home", mood="5")
    assert first.status_code == again.status_code == 202
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert len(client.get("/api/v1/notes", headers=me).json["notes"]) == 1
    assert len(Queue("homeward-transcribe", connection=Redis.from_url(redis_url))) == 1


def test_same_key_with_other_content_is_422_and_creates_nothing(
    client: FlaskClient, sign_up: Callable[..., Headers]
) -> None:
    me = sign_up()
    assert post(client, me, DATA / "jfk.flac", "k-2").status_code == 202
    other_audio = post(client, me, DATA / "hotwords.mp3", "k-2")
    other_field = post(client, me, DATA / "jfk.flac", "k-2", mood="3")
    for answer in (other_audio, other_field):
        assert answer.status_code == 422
        assert answer.json["error"]["code"] == "idempotency_mismatch"
    assert len(client.get("/api/v1/notes", headers=me).json["notes"]) == 1


def test_keys_are_per_client_and_a_refused_upload_frees_its_key(
    client: FlaskClient, sign_up: Callable[..., Headers], tmp_path: Path
) -> None:
    alice, bob = sign_up(), sign_up()
    assert post(client, alice, DATA / "jfk.flac", "shared-key").status_code == 202
    assert post(client, bob, DATA / "jfk.flac", "shared-key").status_code == 202
    bad = tmp_path / "bad.m4a"
    bad.write_text("not audio")
    assert post(client, alice, bad, "retry-me").status_code == 415
    assert post(client, alice, DATA / "hotwords.mp3", "retry-me").status_code == 202
    assert post(client, alice, DATA / "jfk.flac", "x" * 201).status_code == 422


def test_a_request_racing_one_in_flight_gets_409(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers]
) -> None:
    me = sign_up()
    with app.app_context():  # the first request has claimed the key and not yet finished
        account_id = client.get("/api/v1/accounts/me", headers=me).json["id"]
        db.session.add(IdempotencyKey(owner_id=account_id, key="busy"))
        db.session.commit()
    racing = post(client, me, DATA / "jfk.flac", "busy")
    assert racing.status_code == 409 and racing.json["error"]["code"] == "idempotency_conflict"
    with app.app_context():  # a claim abandoned by a crashed request is taken over
        row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "busy"))
        row.created_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    assert post(client, me, DATA / "jfk.flac", "busy").status_code == 202


def test_two_concurrent_requests_with_one_key_make_one_note(
    app: Flask, sign_up: Callable[..., Headers]
) -> None:
    me = sign_up()
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(post(client, me, DATA / "jfk.flac", "together").status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) in ([202, 202], [202, 409])
    notes = app.test_client().get("/api/v1/notes", headers=me).json["notes"]
    assert len(notes) == 1
