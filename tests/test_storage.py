"""AudioStore and sealing: uploads held in memory, sealed on disk, opened only by their note."""

from __future__ import annotations

import hashlib
import io
import os
import random
from pathlib import Path

import pytest

from service.crypto import DecryptionError, Keyring
from service.storage import AudioStore, TooLarge

DATA = random.Random(7).randbytes(2_500_000)  # several audio chunks, odd length
KEYRING = Keyring(os.urandom(32))


def keys(owner: str = "owner-a"):  # type: ignore[no-untyped-def]
    return KEYRING.client_keys(owner, KEYRING.new_wrapped_key(owner))


class Trickle(io.RawIOBase):
    """A stream that hands out a few bytes per read, like a slow upload."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.offset = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        n = self.step if size < 0 else min(size, self.step)
        chunk = self.data[self.offset : self.offset + n]
        self.offset += len(chunk)
        return chunk


def test_incoming_holds_every_byte_in_memory_with_hash_size_and_head(tmp_path: Path) -> None:
    incoming = AudioStore(tmp_path).incoming(io.BytesIO(DATA), max_bytes=len(DATA))
    assert incoming.handle.read() == DATA
    assert incoming.size == len(DATA)
    assert incoming.sha256 == hashlib.sha256(DATA).hexdigest()
    assert incoming.head == DATA[:4096]
    assert list(tmp_path.rglob("*")) == []  # nothing of the upload touched the disk
    assert os.readlink(f"/proc/self/fd/{incoming.handle.fileno()}").startswith("/memfd:")


def test_head_is_collected_across_small_reads(tmp_path: Path) -> None:
    incoming = AudioStore(tmp_path).incoming(Trickle(DATA[:50_000], 1000), max_bytes=1 << 20)
    assert incoming.head == DATA[:4096]
    assert incoming.sha256 == hashlib.sha256(DATA[:50_000]).hexdigest()


def test_too_large_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TooLarge, match="larger than 1 MiB"):
        AudioStore(tmp_path).incoming(io.BytesIO(DATA), max_bytes=1 << 20)


def test_commit_seals_and_open_plain_restores(tmp_path: Path) -> None:
    store, owner = AudioStore(tmp_path), keys()
    incoming = store.incoming(io.BytesIO(DATA), max_bytes=len(DATA))
    relative = store.relative_path("owner-a", "note-1", "m4a")
    final = store.commit(incoming, relative, owner, "note-1")
    assert final == tmp_path / "owner-a" / "note-1.m4a.sealed"
    sealed = final.read_bytes()
    assert DATA[:1000] not in sealed and len(sealed) > len(DATA)
    assert [p.name for p in final.parent.iterdir()] == [final.name]  # no temp file left
    with store.open_plain(relative, owner, "note-1") as plain:
        assert plain.read() == DATA


def test_sealed_audio_opens_only_for_its_note_and_owner(tmp_path: Path) -> None:
    store, owner = AudioStore(tmp_path), keys()
    for note in ("note-1", "note-2"):
        incoming = store.incoming(io.BytesIO(DATA), max_bytes=len(DATA))
        store.commit(incoming, store.relative_path("owner-a", note, "wav"), owner, note)
    one, two = (tmp_path / "owner-a" / f"note-{n}.wav.sealed" for n in (1, 2))
    a, b = one.read_bytes(), two.read_bytes()
    one.write_bytes(b), two.write_bytes(a)  # swapped
    for note in ("note-1", "note-2"):
        with pytest.raises(DecryptionError, match="does not belong to it"):
            store.open_plain(store.relative_path("owner-a", note, "wav"), owner, note)
    two.write_bytes(b)
    with pytest.raises(DecryptionError):  # another client's key
        store.open_plain(store.relative_path("owner-a", "note-2", "wav"), keys("owner-b"), "note-2")


@pytest.mark.parametrize("damage", ["truncate-chunk", "drop-last-chunk", "flip-bit", "header"])
def test_tampering_is_detected(tmp_path: Path, damage: str) -> None:
    store, owner = AudioStore(tmp_path), keys()
    incoming = store.incoming(io.BytesIO(DATA), max_bytes=len(DATA))
    relative = store.relative_path("owner-a", "n", "mp3")
    path = store.commit(incoming, relative, owner, "n")
    sealed = bytearray(path.read_bytes())
    chunk = (1 << 20) + 16
    if damage == "truncate-chunk":
        sealed = sealed[:-100]
    elif damage == "drop-last-chunk":
        sealed = sealed[: 12 + 2 * chunk]
    elif damage == "flip-bit":
        sealed[5000] ^= 1
    else:
        sealed[:4] = b"XXXX"
    path.write_bytes(bytes(sealed))
    with pytest.raises(DecryptionError):
        store.open_plain(relative, owner, "n")


def test_delete_and_delete_owner(tmp_path: Path) -> None:
    store, owner = AudioStore(tmp_path), keys()
    for who, note in (("owner-a", "n1"), ("owner-a", "n2"), ("owner-b", "n3")):
        incoming = store.incoming(io.BytesIO(b"RIFF....WAVE"), max_bytes=100)
        store.commit(incoming, store.relative_path(who, note, "wav"), owner, note)
    store.delete(store.relative_path("owner-a", "n1", "wav"))
    store.delete(store.relative_path("owner-a", "n1", "wav"))  # twice is fine
    assert [p.name for p in (tmp_path / "owner-a").iterdir()] == ["n2.wav.sealed"]
    store.delete_owner("owner-a")
    assert not (tmp_path / "owner-a").exists() and (tmp_path / "owner-b").exists()
