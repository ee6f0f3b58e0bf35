"""What browsers send and need: WebM with no duration in its header, and audio in byte ranges."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.sniff import probe, sniff_container
from tests.conftest import DATA

JFK_SECONDS = 11.0


@pytest.fixture(scope="module")
def streamed_webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Opus in WebM written to a pipe, as MediaRecorder writes it: no duration, no cues."""
    target = tmp_path_factory.mktemp("streamed") / "recorded.webm"
    with target.open("wb") as out:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(DATA / "jfk.flac"),
             "-c:a", "libopus", "-b:a", "32k", "-f", "webm", "pipe:1"],
            stdout=out, check=True,
        )  # fmt: skip
    return target


def test_a_webm_without_a_duration_is_measured_from_its_packets(streamed_webm: Path) -> None:
    header = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
         str(streamed_webm)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert header == "N/A", "the fixture should look like a browser's recording"
    assert sniff_container(streamed_webm.read_bytes()[:64]) == "webm"
    assert probe(streamed_webm, "webm").duration_s == pytest.approx(JFK_SECONDS, abs=0.3)


def test_a_browser_recording_uploads(
    sign_up: Callable[..., dict[str, str]], upload: Any, streamed_webm: Path
) -> None:
    answer = upload(sign_up(), streamed_webm)
    assert answer.status_code == 202, answer.json
    assert answer.json["duration_s"] == pytest.approx(JFK_SECONDS, abs=0.3)


def test_audio_is_served_in_byte_ranges_so_players_can_seek(
    client: FlaskClient, sign_up: Callable[..., dict[str, str]], upload: Any
) -> None:
    headers = sign_up()
    note = upload(headers, DATA / "jfk.flac").json["id"]
    whole = (DATA / "jfk.flac").read_bytes()
    url = f"/api/v1/notes/{note}/audio"
    full = client.get(url, headers=headers)
    assert full.status_code == 200 and full.data == whole
    assert full.headers["Accept-Ranges"] == "bytes"
    assert int(full.headers["Content-Length"]) == len(whole)
    part = client.get(url, headers={**headers, "Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"
    assert part.data == whole[1000:2000]
    tail = client.get(url, headers={**headers, "Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.data == whole[-100:]
    beyond = client.get(url, headers={**headers, "Range": f"bytes={len(whole) + 10}-"})
    assert beyond.status_code == 416
    assert full.headers["Cache-Control"] == "no-store"
