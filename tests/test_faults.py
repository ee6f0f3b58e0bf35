"""No note lost: workers killed, Redis restarted or flushed, the web killed after a 202.

Each test runs Homeward as real processes (`homeward up`: gunicorn and a worker) against a
redis-server of its own, with the reconciler on a short schedule.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATA, JFK_WORDS, words
from tests.stack_support import RedisServer, Stack, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack(tmp_path: Path, redis_server: RedisServer) -> Iterator[Stack]:
    stack = Stack(tmp_path / "data", redis_server.url)
    stack.start()
    stack.sign_up()
    yield stack
    stack.stop()


def assert_one_clean_transcript(note: dict[str, object]) -> None:
    transcript = note["transcript"]
    assert isinstance(transcript, dict)
    starts = [s["start"] for s in transcript["segments"]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), "segments doubled"


def test_worker_killed_mid_note_is_transcribed_once_by_another(stack: Stack) -> None:
    note_id = stack.upload(DATA / "multilingual.mp3").json()["id"]
    wait_for(lambda: stack.note(note_id)["status"] == "processing", "the note to start")
    [worker] = stack.pids("-m workers worker")
    os.kill(worker, signal.SIGKILL)
    started = time.monotonic()
    [note] = stack.wait_transcribed([note_id])
    assert time.monotonic() - started < 60
    assert stack.pids("-m workers worker") != [worker]  # `homeward up` started another
    assert words(note["transcript"]["text"])[:4] == ["permission", "is", "hereby", "granted"]
    assert_one_clean_transcript(note)


def test_redis_restart_mid_work_loses_no_note(stack: Stack, redis_server: RedisServer) -> None:
    ids = [stack.upload(DATA / name).json()["id"]
           for name in ("multilingual.mp3", "jfk.flac", "hotwords.mp3")]
    wait_for(lambda: stack.note(ids[0])["status"] == "processing", "work to start")
    redis_server.stop()  # with no persistence: every queued job is gone
    time.sleep(2)
    redis_server.start()
    after = stack.upload(DATA / "jfk.flac")  # the web reconnects without a restart
    assert after.status_code == 202
    notes = stack.wait_transcribed([*ids, after.json()["id"]])
    assert words(notes[1]["transcript"]["text"]) == JFK_WORDS
    for note in notes:
        assert_one_clean_transcript(note)


def test_flushed_redis_with_notes_queued_is_reconciled(stack: Stack,
                                                       redis_server: RedisServer) -> None:
    ids = [stack.upload(DATA / "hotwords.mp3").json()["id"] for _ in range(4)]
    redis_server.cli("FLUSHALL")
    notes = stack.wait_transcribed(ids)
    assert all("folder" in words(n["transcript"]["text"]) for n in notes)


def test_web_killed_right_after_a_202_keeps_the_note(stack: Stack, tmp_path: Path) -> None:
    answer = stack.upload(DATA / "jfk.flac")
    assert answer.status_code == 202
    note_id = answer.json()["id"]
    for pid in stack.pids("gunicorn"):
        os.kill(pid, signal.SIGKILL)
    sealed = list((tmp_path / "data" / "audio").rglob(f"{note_id}.*.sealed"))
    assert len(sealed) == 1 and sealed[0].stat().st_size > 0
    wait_for(lambda: stack.http.get(f"{stack.base}/readyz", timeout=2).status_code == 200,
             "the web server to be restarted")
    [note] = stack.wait_transcribed([note_id])
    assert words(note["transcript"]["text"]) == JFK_WORDS
