"""A corpus of bad uploads against a running stack: each refused clearly, nothing else harmed."""

from __future__ import annotations

import random
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATA, JFK_WORDS, words
from tests.stack_support import RedisServer, Stack

pytestmark = pytest.mark.slow
JFK = (DATA / "jfk.flac").read_bytes()


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


def build_corpus(folder: Path) -> dict[str, tuple[Path, int, str]]:
    """name -> (file, expected status, expected error code)."""
    rnd = random.Random(3)
    files: dict[str, tuple[bytes, int, str]] = {
        "empty.m4a": (b"", 415, "unsupported_audio"),
        "diary.txt": (b"today I felt better than last week", 415, "unsupported_audio"),
        "diary-renamed.m4a": (b"today I felt better than last week", 415, "unsupported_audio"),
        "scan.pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", 415,
                     "unsupported_audio"),
        "scan-renamed.mp3": (b"%PDF-1.4\n" + bytes(200), 415, "unsupported_audio"),
        "photo.png": (b"\x89PNG\r\n\x1a\n" + bytes(300), 415, "unsupported_audio"),
        "photo-renamed.m4a": (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(300), 415,
                              "unsupported_audio"),
        "page.html": (b"<!doctype html><title>x</title>", 415, "unsupported_audio"),
        "playlist.m3u8": (b"#EXTM3U\n#EXTINF:10,\nhttp://127.0.0.1:9/evil.ts\n", 415,
                          "unsupported_audio"),
        "playlist-renamed.m4a": (b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n", 415,
                                 "unsupported_audio"),
        "concat.ogg": (b"ffconcat version 1.0\nfile /etc/hostname\n", 415, "unsupported_audio"),
        "id3-then-playlist.mp3": (b"ID3\x04\x00\x00\x00\x00\x00\x00#EXTM3U\nhttp://127.0.0.1:9/x\n",
                                  422, "unreadable_audio"),
        "truncated.flac": (JFK[:300], 422, "unreadable_audio"),
        # The header promises 11 s, so it passes the upload check; the decode then fails.
        "header-then-noise.flac": (JFK[:42] + rnd.randbytes(4000), 202, "failed:undecodable_audio"),
        "random.webm": (b"\x1a\x45\xdf\xa3" + rnd.randbytes(5000), 422, "unreadable_audio"),
        "random.m4a": (b"\x00\x00\x00\x18ftypM4A " + rnd.randbytes(5000), 422,
                       "unreadable_audio"),
    }
    corpus = {}
    for name, (data, status, code) in files.items():
        (folder / name).write_bytes(data)
        corpus[name] = (folder / name, status, code)
    with zipfile.ZipFile(folder / "archive.m4a", "w") as archive:
        archive.writestr("a.txt", "hello")
    corpus["archive.m4a"] = (folder / "archive.m4a", 415, "unsupported_audio")
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=1:size=64x64", str(folder / "video.mp4"))
    corpus["video.mp4"] = (folder / "video.mp4", 422, "unreadable_audio")
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=40", str(folder / "long.wav"))
    corpus["long.wav"] = (folder / "long.wav", 422, "too_long")
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=duration=200:amplitude=0.5", "-ar", "44100",
           str(folder / "huge.wav"))
    corpus["huge.wav"] = (folder / "huge.wav", 413, "")
    cut = folder / "cut.m4a"
    ffmpeg("-i", str(DATA / "jfk.flac"), "-c:a", "aac", str(folder / "whole.m4a"))
    cut.write_bytes((folder / "whole.m4a").read_bytes()[:2000])
    corpus["cut.m4a"] = (cut, 422, "unreadable_audio")
    return corpus


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    redis = RedisServer(tmp_path)
    redis.start()
    stack = Stack(tmp_path / "data", redis.url, max_duration_s="30", max_upload_mb="5")
    stack.start()
    stack.sign_up()
    yield stack
    stack.stop()
    redis.stop()


def test_bad_files_are_refused_and_good_notes_among_them_transcribed(
    stack: Stack, tmp_path: Path
) -> None:
    corpus = build_corpus(tmp_path)
    assert len(corpus) >= 20
    [worker] = stack.pids("-m workers worker")
    good: list[str] = []
    failing: dict[str, str] = {}
    for index, (name, (path, status, code)) in enumerate(sorted(corpus.items())):
        answer = stack.upload(path)
        assert answer.status_code == status, (name, answer.text)
        body = answer.json()
        if code.startswith("failed:"):
            failing[body["id"]] = code.removeprefix("failed:")
        else:
            assert not code or body["error"]["code"] == code, (name, body)
            assert len(body["error"]["message"]) > 15, name
        if index % 5 == 0:
            good.append(stack.upload(DATA / "jfk.flac").json()["id"])
    silence, noise = tmp_path / "silence.wav", tmp_path / "noise.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "6", str(silence))
    ffmpeg("-f", "lavfi", "-i", "anoisesrc=duration=6:color=pink:amplitude=0.4", str(noise))
    quiet = [stack.upload(p).json()["id"] for p in (silence, noise)]
    notes = stack.wait_transcribed(good + quiet)
    for note in notes[: len(good)]:
        assert words(note["transcript"]["text"]) == JFK_WORDS
    for note in notes[len(good):]:  # no invented words for silence or noise
        assert note["transcript"]["text"] == "" and note["transcript"]["no_speech"] is True
    for note_id, code in failing.items():
        note = stack.note(note_id)
        assert note["status"] == "failed" and note["error"]["code"] == code, note
        assert "upload another file" in note["error"]["message"]
    assert stack.pids("-m workers worker") == [worker], "the worker crashed or was restarted"
    timeline = stack.http.get(f"{stack.base}/api/v1/notes?limit=100").json()["notes"]
    assert {n["id"] for n in timeline} == set(good + quiet + list(failing))


def test_missing_and_malformed_fields(stack: Stack) -> None:
    base = f"{stack.base}/api/v1/notes"
    with (DATA / "hotwords.mp3").open("rb") as fh:
        audio = fh.read()
    cases = [
        ({}, {}, 400, "missing_audio"),
        ({"recording": ("a.mp3", audio)}, {}, 400, "missing_audio"),
        ({"audio": ("a.mp3", audio)}, {"mood": "eleven"}, 422, "invalid_mood"),
        ({"audio": ("a.mp3", audio)}, {"mood": "0"}, 422, "invalid_mood"),
        ({"audio": ("a.mp3", audio)}, {"recorded_at": "last tuesday"}, 422,
         "invalid_recorded_at"),
        ({"audio": ("a.mp3", audio)}, {"tags": "a::b"}, 422, "invalid_tags"),
    ]
    for files, data, status, code in cases:
        answer = stack.http.post(base, files=files, data=data)
        assert answer.status_code == status, (data, answer.text)
        assert answer.json()["error"]["code"] == code
    assert stack.http.get(base).json()["notes"] == []
