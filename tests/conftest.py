"""Fixtures: a fresh app per test on SQLite and PostgreSQL, real Redis, real engines."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service import create_app
from service.db import db
from service.migrate import upgrade
from service.models import Base

DATA = Path(__file__).parent / "data"
REDIS_URL = os.environ.get("HOMEWARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
POSTGRES_URL = os.environ.get(
    "HOMEWARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# In CI a missing PostgreSQL is a failure, not a skip.
REQUIRE_POSTGRES = os.environ.get("CI", "").lower() == "true"

#: What each recording made by the `audio_files` fixture must be recognised as.
CONTAINER_OF = {
    "m4a": "mp4", "mp4": "mp4", "3gp": "mp4", "webm": "webm", "ogg": "ogg", "mp3": "mp3",
    "wav": "wav", "flac": "flac",
}  # fmt: skip
JFK_WORDS = [
    "and",
    "so",
    "my",
    "fellow",
    "americans",
    "ask",
    "not",
    "what",
    "your",
    "country",
    "can",
    "do",
    "for",
    "you",
    "ask",
    "what",
    "you",
    "can",
    "do",
    "for",
    "your",
    "country",
]
PASSWORD = "a long enough passphrase"
#: Real argon2id at OWASP's minimum cost (production uses more), and no sign-up limit to trip
#: over when a test makes many accounts from one address (tests of the limits set their own).
TEST_SETTINGS = {
    "password_time_cost": 2,
    "password_memory_kib": 19456,
    "sign_up_limit": 10_000,
    "sign_in_limit": 10_000,
}
#: One master key for the test run, as HOMEWARD_MASTER_KEY would hold it.
#: pytest loads this file as `conftest` and test modules import it as `tests.conftest`: the
#: environment keeps both copies on the same random key.
MASTER_KEY = os.environ.setdefault(
    "HOMEWARD_TEST_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode()
)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing transcripts."""
    cleaned = "".join(ch.lower() if ch.isalnum() or ch == "'" else " " for ch in text)
    return cleaned.split()


@pytest.fixture
def redis_url() -> Iterator[str]:
    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, created for this test run."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"homeward_test_{secrets.token_hex(4)}"
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    migrated = create_engine(url)
    upgrade(migrated)
    migrated.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'homeward.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


@pytest.fixture
def make_app(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build migrated apps on this test's database; settings may be overridden."""
    made: list[Flask] = []

    def _make(**overrides: Any) -> Flask:
        settings = {
            "data_dir": tmp_path / "data",
            "database_url": database_url,
            "redis_url": redis_url,
            "master_key": MASTER_KEY,
            **TEST_SETTINGS,
            **overrides,
        }
        app = create_app(settings)
        app.testing = True
        upgrade(db.engine_for(app))
        made.append(app)
        return app

    yield _make
    for app in made:
        db.engine_for(app).dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sign_up(client: FlaskClient) -> Callable[..., dict[str, str]]:
    """Create an account and return the headers that authenticate as it."""

    def _sign_up(email: str | None = None, role: str = "client") -> dict[str, str]:
        email = email or f"{role}-{secrets.token_hex(3)}@example.org"
        created = client.post(
            "/api/v1/accounts", json={"email": email, "password": PASSWORD, "role": role}
        )
        assert created.status_code == 201, created.json
        token = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
        assert token.status_code == 201, token.json
        return {"Authorization": f"Bearer {token.json['token']}"}

    return _sign_up


@pytest.fixture(scope="session")
def audio_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """jfk.flac in every container phones and browsers record, made with ffmpeg."""
    out = tmp_path_factory.mktemp("audio")
    source = DATA / "jfk.flac"
    recipes = {
        "m4a": ["-c:a", "aac", "-b:a", "64k"],
        "mp4": ["-c:a", "aac", "-b:a", "64k"],
        "webm": ["-c:a", "libopus", "-b:a", "32k"],
        "ogg": ["-c:a", "libopus", "-b:a", "32k"],
        "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
        "wav": ["-c:a", "pcm_s16le"],
    }
    files = {"flac": source}
    # Debian's ffmpeg has no AMR encoder; sox (libopencore-amrnb) has, and ffmpeg wraps it in 3gp.
    amr = out / "jfk.amr"
    subprocess.run(
        ["sox", str(source), "-r", "8000", "-c", "1", "-C", "7", "-t", "amr-nb", str(amr)],
        check=True,
    )
    files["3gp"] = out / "jfk.3gp"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(amr),
            "-c:a",
            "copy",
            "-f",
            "3gp",
            str(files["3gp"]),
        ],
        check=True,
    )
    for ext, codec in recipes.items():
        target = out / f"jfk.{ext}"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(source), *codec,
             str(target)],
            check=True,
        )  # fmt: skip
        files[ext] = target
    return files


@pytest.fixture
def upload(client: FlaskClient) -> Callable[..., Any]:
    """POST a file as a note and return the response."""

    def _upload(headers: dict[str, str], path: Path, **fields: str) -> Any:
        with path.open("rb") as fh:
            data: dict[str, Any] = {"audio": (fh, path.name), **fields}
            return client.post("/api/v1/notes", headers=headers, data=data)

    return _upload


def copy_fixture(name: str, target: Path) -> Path:
    shutil.copy(DATA / name, target)
    return target
