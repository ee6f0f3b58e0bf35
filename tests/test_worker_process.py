"""A real worker process: the engine is loaded once, then serves every job."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA, JFK_WORDS, MASTER_KEY, words

pytestmark = pytest.mark.slow


def worker_env(app: Flask) -> dict[str, str]:
    settings = app.config["HOMEWARD"]
    return {
        **os.environ,
        "HOMEWARD_DATA_DIR": str(settings.data_dir),
        "HOMEWARD_DATABASE_URL": settings.resolved_database_url,
        "HOMEWARD_REDIS_URL": settings.redis_url,
        "HOMEWARD_LOG_LEVEL": "INFO",
        "HOMEWARD_MASTER_KEY": MASTER_KEY,
    }


@pytest.mark.parametrize("engine_name", ["faster-whisper", "openai-whisper"])
def test_model_is_loaded_once_per_worker_process(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., dict[str, str]],
    upload: Any,
    engine_name: str,
    tmp_path: Path,
) -> None:
    headers = sign_up()
    ids = [
        upload(headers, DATA / name).json["id"] for name in ("jfk.flac", "hotwords.mp3", "jfk.flac")
    ]
    env = {
        **worker_env(app),
        "HOMEWARD_ENGINE": engine_name,
        "HOMEWARD_MODEL_CACHE_DIR": str(tmp_path / "models"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "workers", "worker", "--burst"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    log = done.stderr
    assert done.returncode == 0, log[-3000:]
    assert log.count("loading engine") == 1, log[-3000:]
    assert log.count("Job OK") == 3
    notes = [client.get(f"/api/v1/notes/{i}", headers=headers).json for i in ids]
    assert [n["status"] for n in notes] == ["transcribed"] * 3, [n["error"] for n in notes]
    assert words(notes[0]["transcript"]["text"]) == JFK_WORDS
    assert words(notes[2]["transcript"]["text"]) == JFK_WORDS
    assert {n["transcript"]["engine"] for n in notes} == {engine_name}
    # One process did all the work: the worker logs its pid on every line.
    pids = {line.split("[", 1)[1].split("]", 1)[0] for line in log.splitlines() if "Job OK" in line}
    assert len(pids) == 1


HOMEWARD = str(Path(sys.executable).parent / "homeward")


def test_homeward_transcribe_prints_the_transcript_and_tags(tmp_path: Path) -> None:
    env = {**os.environ, "HOMEWARD_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [HOMEWARD, "transcribe", str(DATA / "jfk.flac")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    first_line, *rest = done.stdout.splitlines()
    assert words(first_line) == JFK_WORDS
    assert rest and rest[0].startswith("tags:")
    bad = tmp_path / "notes.m4a"
    bad.write_text("not audio at all")
    refused = subprocess.run(
        [HOMEWARD, "transcribe", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert refused.returncode == 2
    assert "text, not audio" in refused.stderr
