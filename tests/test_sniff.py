"""service.sniff with real files: containers are recognised by their bytes, never their names."""

from __future__ import annotations

import io
import json
import random
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from service.sniff import UnreadableAudio, UnsupportedAudio, probe, sniff_container
from tests.conftest import CONTAINER_OF, DATA

# What each recording from the `audio_files` fixture must be recognised as.
EXPECTED = CONTAINER_OF
JFK_SECONDS = 11.0


def head_of(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4096)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def raw_streams(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """jfk.flac as raw AAC (ADTS) and raw AMR-NB, the two containerless formats accepted."""
    out = tmp_path_factory.mktemp("raw")
    aac, amr = out / "jfk.aac", out / "jfk.amr"
    ffmpeg("-i", str(DATA / "jfk.flac"), "-c:a", "aac", "-b:a", "64k", "-f", "adts", str(aac))
    subprocess.run(["sox", str(DATA / "jfk.flac"), "-r", "8000", "-c", "1", "-C", "7",
                    "-t", "amr-nb", str(amr)], check=True)  # fmt: skip
    return {"aac": aac, "amr": amr}


# --- accepted containers ----------------------------------------------------------------------


def test_fixture_covers_every_expected_container(audio_files: dict[str, Path]) -> None:
    assert set(audio_files) == set(EXPECTED)


@pytest.mark.parametrize("ext", sorted(EXPECTED))
def test_recorded_containers_sniff_and_probe(audio_files: dict[str, Path], ext: str) -> None:
    path = audio_files[ext]
    container = sniff_container(head_of(path))
    assert container == EXPECTED[ext]
    info = probe(path, container)
    assert info.container == container
    assert info.duration_s == pytest.approx(JFK_SECONDS, abs=0.3)


@pytest.mark.parametrize("kind", ["aac", "amr"])
def test_raw_aac_and_amr_sniff_and_probe(raw_streams: dict[str, Path], kind: str) -> None:
    path = raw_streams[kind]
    container = sniff_container(head_of(path))
    assert container == kind
    assert probe(path, container).duration_s == pytest.approx(JFK_SECONDS, abs=0.3)


def test_mp4_recording_renamed_is_still_mp4(audio_files: dict[str, Path], tmp_path: Path) -> None:
    renamed = tmp_path / "note.txt"
    renamed.write_bytes(audio_files["m4a"].read_bytes())
    assert sniff_container(head_of(renamed)) == "mp4"
    assert probe(renamed, "mp4").duration_s == pytest.approx(JFK_SECONDS, abs=0.3)


# --- refused: not audio at all ------------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))  # fmt: skip


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("note.txt", "not audio")
    return buffer.getvalue()


HLS_PLAYLIST = (
    b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n"
    b"#EXTINF:10.0,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n"
)

NOT_AUDIO = {
    "empty": (b"", "empty"),
    "text": (b"Dear diary, the session went well today.\nMore tomorrow.\n", "text"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
    "png": (_png(), "image"),
    "zip": (_zip(), "zip"),
    "hls": (HLS_PLAYLIST, "playlist"),
    "ffconcat": (b"ffconcat version 1.0\nfile /etc/passwd\n", "text"),
}


@pytest.mark.parametrize("name", sorted(NOT_AUDIO))
@pytest.mark.parametrize("filename", ["upload.bin", "note.m4a"])
def test_non_audio_is_refused_whatever_its_name(tmp_path: Path, name: str, filename: str) -> None:
    data, described = NOT_AUDIO[name]
    upload = tmp_path / filename
    upload.write_bytes(data)
    with pytest.raises(UnsupportedAudio) as refused:
        sniff_container(head_of(upload))
    message = str(refused.value)
    assert described in message
    if name != "empty":
        assert "not audio" in message
        assert ".m4a" in message  # says what to send instead


# --- refused: an accepted container that holds no readable audio -----------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("converted")
    files = {}
    for ext, codec in {"m4a": "aac", "mp3": "libmp3lame", "wav": "pcm_s16le"}.items():
        files[ext] = out / f"jfk.{ext}"
        ffmpeg("-i", str(DATA / "jfk.flac"), "-c:a", codec, str(files[ext]))
    return files


@pytest.mark.parametrize(("ext", "container"), [("wav", "wav"), ("m4a", "mp4"), ("mp3", "mp3")])
def test_truncated_to_200_bytes_is_unreadable(
    converted: dict[str, Path], tmp_path: Path, ext: str, container: str
) -> None:
    truncated = tmp_path / f"truncated.{ext}"
    truncated.write_bytes(converted[ext].read_bytes()[:200])
    assert sniff_container(head_of(truncated)) == container  # the header survives
    with pytest.raises(UnreadableAudio, match=container):
        info = probe(truncated, container)
        pytest.fail(f"a 200-byte {ext} was accepted as {info.duration_s:.4f} s of audio")


def test_mp4_header_followed_by_garbage_is_unreadable(
    converted: dict[str, Path], tmp_path: Path
) -> None:
    ftyp = converted["m4a"].read_bytes()[:32]
    assert ftyp[4:8] == b"ftyp"
    damaged = tmp_path / "damaged.m4a"
    damaged.write_bytes(ftyp + random.Random(0).randbytes(64 * 1024))
    assert sniff_container(head_of(damaged)) == "mp4"
    with pytest.raises(UnreadableAudio, match="could not be read"):
        probe(damaged, "mp4")


def test_video_without_audio_track_is_unreadable(tmp_path: Path) -> None:
    video = tmp_path / "video.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=1:size=64x64:rate=10", "-c:v", "mpeg4",
           str(video))  # fmt: skip
    assert sniff_container(head_of(video)) == "mp4"
    with pytest.raises(UnreadableAudio, match="no audio track"):
        probe(video, "mp4")


# --- a forged header cannot turn ffprobe into a file reader -----------------------------------

SECRET_SECONDS = 7.0
ID3_HEADER = b"ID3\x04\x00\x00\x00\x00\x00\x00"


@pytest.fixture
def secret_audio(tmp_path: Path) -> dict[str, Path]:
    """Audio another user owns, next to the forged upload, with a duration of its own."""
    wav, aac = tmp_path / "secret.wav", tmp_path / "secret.aac"
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={SECRET_SECONDS}:sample_rate=16000",
           "-c:a", "pcm_s16le", str(wav))  # fmt: skip
    ffmpeg("-i", str(wav), "-c:a", "aac", "-f", "adts", str(aac))
    return {"wav": wav, "aac": aac}


FORGERIES = {
    "concat": b"ffconcat version 1.0\nfile secret.wav\nduration 7.0\n",
    "hls": b"#EXTM3U\n#EXT-X-TARGETDURATION:7\n#EXTINF:7.0,\nsecret.aac\n#EXT-X-ENDLIST\n",
}


def _unrestricted_ffprobe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration:stream=codec_type",
         "-of", "json", str(path)],
        capture_output=True, check=False,
    )  # fmt: skip
    return json.loads(result.stdout or b"{}")


@pytest.mark.parametrize("kind", sorted(FORGERIES))
def test_id3_forged_playlist_cannot_open_another_file(
    tmp_path: Path, secret_audio: dict[str, Path], kind: str
) -> None:
    forged = tmp_path / "note.m4a"
    forged.write_bytes(ID3_HEADER + FORGERIES[kind])

    # The forgery is live: ffprobe left to guess the format follows it to the secret audio.
    guessed = _unrestricted_ffprobe(forged)
    assert guessed["format"]["format_name"] == kind
    assert [s["codec_type"] for s in guessed["streams"]] == ["audio"]
    assert float(guessed["format"]["duration"]) == pytest.approx(SECRET_SECONDS)

    container = sniff_container(head_of(forged))
    assert container == "mp3"  # what the forged header claims
    try:
        info = probe(forged, container)
    except UnreadableAudio:
        return
    assert info.duration_s != pytest.approx(SECRET_SECONDS, abs=0.5), "probe read the secret"
