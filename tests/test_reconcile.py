"""The reconciler and the retry route, in-process against real Redis."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from service.db import db
from service.models import Note, utcnow
from service.queueing import job_id_for
from tests.conftest import DATA
from workers.reconcile import alive_key, reconcile

Headers = dict[str, str]


def age(app: Flask, note_id: str, **values: Any) -> None:
    """Make a note look untouched for a minute, with the given fields."""
    with app.app_context():
        note = db.session.get(Note, note_id)
        for name, value in values.items():
            setattr(note, name, value)
        note.updated_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def test_lost_jobs_are_queued_again_and_live_ones_left_alone(
    app: Flask, sign_up: Callable[..., Headers], upload: Any, redis_url: str
) -> None:
    me = sign_up()
    lost, waiting, in_hand = (upload(me, DATA / "hotwords.mp3").json["id"] for _ in range(3))
    redis = Redis.from_url(redis_url)
    queue = Queue("homeward-transcribe", connection=redis)
    for note_id in (lost, in_hand):
        queue.fetch_job(job_id_for(note_id)).delete()
    redis.set(alive_key("homeward-host-1.0"), in_hand, ex=30)
    for note_id in (lost, waiting, in_hand):
        age(app, note_id, status="processing" if note_id == in_hand else "queued")
    assert reconcile(app, redis) == [lost]
    assert set(queue.job_ids) == {job_id_for(lost), job_id_for(waiting)}
    assert reconcile(app, redis) == []  # idempotent: nothing is queued twice


def test_a_note_whose_worker_keeps_dying_fails_with_a_reason(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    redis_url: str,
) -> None:
    me = sign_up()
    note_id = upload(me, DATA / "hotwords.mp3").json["id"]
    redis = Redis.from_url(redis_url)
    Queue("homeward-transcribe", connection=redis).fetch_job(job_id_for(note_id)).delete()
    age(app, note_id, status="processing", attempts=4)
    assert reconcile(app, redis) == []
    note = client.get(f"/api/v1/notes/{note_id}", headers=me).json
    assert note["status"] == "failed" and note["error"]["code"] == "transcription_interrupted"
    retried = client.post(f"/api/v1/notes/{note_id}/retry", headers=me)
    assert retried.status_code == 202 and retried.json["status"] == "queued"
    assert retried.json["error"] is None
    again = client.post(f"/api/v1/notes/{note_id}/retry", headers=me)
    assert again.status_code == 409 and again.json["error"]["code"] == "not_failed"
    with app.app_context():
        assert db.session.get(Note, note_id).attempts == 0
    other = sign_up()
    assert client.post(f"/api/v1/notes/{note_id}/retry", headers=other).status_code == 404
