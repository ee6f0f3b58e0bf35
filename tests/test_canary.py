"""Canary: words spoken in a note are found by search, and nowhere in plain text at rest."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import text

from service.db import db
from service.models import Base, Note
from tests.conftest import DATA
from workers.engines import load_engine
from workers.engines.base import EngineOptions
from workers.runtime import Runtime, install_runtime, reset_runtime
from workers.worker import run_worker

# Words jfk.flac says; each must be searchable and absent from every store in plain text.
CANARIES = ["americans", "country", "fellow"]


@pytest.fixture
def transcribed(app: Flask, tmp_path: Path) -> Iterator[None]:
    engine = load_engine("faster-whisper", "tiny.en", EngineOptions(), tmp_path / "models")
    install_runtime(Runtime(app, app.config["HOMEWARD"], engine, app.extensions["homeward.audio"]))
    yield
    reset_runtime()


def stored_bytes(app: Flask) -> dict[str, bytes]:
    """Everything Homeward keeps at rest, as raw bytes per place."""
    settings = app.config["HOMEWARD"]
    places: dict[str, bytes] = {}
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes()
    url = settings.resolved_database_url
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        for path in database.parent.glob(database.name + "*"):  # the file, its WAL and SHM
            places[str(path)] = path.read_bytes()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                rows = db.session.execute(
                    text(f'SELECT row_to_json(t)::text FROM "{table.name}" t')  # noqa: S608
                )
                places[f"postgres:{table.name}"] = "\n".join(r[0] for r in rows).encode()
    redis = Redis.from_url(settings.redis_url)
    for key in redis.keys("*"):
        kind = redis.type(key)
        value = redis.dump(key) or b""
        places[f"redis:{key!r}:{kind!r}"] = key + value
    return places


def test_spoken_words_are_searchable_and_never_stored_in_plain_text(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., dict[str, str]],
    upload: Any,
    transcribed: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    me = sign_up()
    note = upload(me, DATA / "jfk.flac", title="after the fellow session").json
    run_worker(app, burst=True)
    body = client.get(f"/api/v1/notes/{note['id']}", headers=me).json
    assert body["status"] == "transcribed"
    transcript = body["transcript"]["text"].lower()
    assert all(word in transcript for word in CANARIES)
    with app.app_context():
        row = db.session.get(Note, note["id"])
        terms = row.search_terms.split()
    assert len(terms) >= len(set(transcript.split())) - 3  # every word is in the blind index
    places = stored_bytes(app)
    assert any("sqlite3" in p or p.startswith("postgres:") for p in places)
    assert any(p.endswith(".sealed") for p in places)
    for word in CANARIES:
        for variant in {word, word.capitalize(), word.upper()}:
            hits = [p for p, blob in places.items() if variant.encode() in blob]
            assert hits == [], f"{variant!r} stored in plain text in {hits}"
            assert variant not in caplog.text, f"{variant!r} was logged"
