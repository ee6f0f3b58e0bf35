"""AudioStore: uploads staged durably, hashed, size-limited, committed and deleted."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest

from service.storage import AudioStore, TooLarge

DATA = random.Random(7).randbytes(200_000)  # several read chunks, odd length


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


def staged(root: Path) -> list[Path]:
    return sorted((root / ".incoming").iterdir())


def test_incoming_writes_every_byte_with_hash_size_and_head(tmp_path: Path) -> None:
    store = AudioStore(tmp_path)
    incoming = store.incoming(io.BytesIO(DATA), max_bytes=len(DATA))  # exactly at the limit
    assert incoming.path.parent == tmp_path / ".incoming"
    assert staged(tmp_path) == [incoming.path]
    assert incoming.path.read_bytes() == DATA
    assert incoming.size == len(DATA)
    assert incoming.sha256 == hashlib.sha256(DATA).hexdigest()
    assert incoming.head == DATA[:4096]


def test_head_is_collected_across_small_reads(tmp_path: Path) -> None:
    incoming = AudioStore(tmp_path).incoming(Trickle(DATA, 1000), max_bytes=1 << 20)
    assert incoming.head == DATA[:4096]
    assert incoming.path.read_bytes() == DATA
    assert incoming.sha256 == hashlib.sha256(DATA).hexdigest()


def test_small_upload_head_is_whole_file(tmp_path: Path) -> None:
    incoming = AudioStore(tmp_path).incoming(io.BytesIO(b"RIFF"), max_bytes=100)
    assert (incoming.head, incoming.size) == (b"RIFF", 4)


def test_too_large_leaves_nothing_behind(tmp_path: Path) -> None:
    store = AudioStore(tmp_path)
    with pytest.raises(TooLarge):
        store.incoming(io.BytesIO(DATA), max_bytes=len(DATA) - 1)
    assert staged(tmp_path) == []
    with pytest.raises(TooLarge, match="2 MiB"):
        store.incoming(io.BytesIO(bytes(3 << 20)), max_bytes=2 << 20)
    assert staged(tmp_path) == []


def test_commit_moves_into_place(tmp_path: Path) -> None:
    store = AudioStore(tmp_path)
    incoming = store.incoming(io.BytesIO(DATA), max_bytes=1 << 20)
    relative = store.relative_path("owner1", "note1", "mp4")
    assert relative == "owner1/note1.mp4"
    final = store.commit(incoming, relative)
    assert final == tmp_path / "owner1" / "note1.mp4"
    assert store.path_of(relative) == final
    assert final.read_bytes() == DATA
    assert not incoming.path.exists()
    assert staged(tmp_path) == []


def test_discard_removes_staged_file(tmp_path: Path) -> None:
    store = AudioStore(tmp_path)
    incoming = store.incoming(io.BytesIO(DATA), max_bytes=1 << 20)
    store.discard(incoming)
    assert staged(tmp_path) == []


def test_delete_removes_file_and_tolerates_missing(tmp_path: Path) -> None:
    store = AudioStore(tmp_path)
    relative = store.relative_path("owner1", "note1", "wav")
    store.commit(store.incoming(io.BytesIO(DATA), max_bytes=1 << 20), relative)
    store.delete(relative)
    assert not store.path_of(relative).exists()
    store.delete(relative)  # twice is fine
    store.delete("nobody/nothing.wav")


def test_delete_owner_removes_only_that_owner(tmp_path: Path) -> None:
    store = AudioStore(tmp_path)
    for owner, note in [("alice", "n1"), ("alice", "n2"), ("bob", "n3")]:
        incoming = store.incoming(io.BytesIO(DATA), max_bytes=1 << 20)
        store.commit(incoming, store.relative_path(owner, note, "mp3"))
    store.delete_owner("alice")
    assert not (tmp_path / "alice").exists()
    assert (tmp_path / "bob" / "n3.mp3").read_bytes() == DATA
    store.delete_owner("carol")  # no folder: nothing to do
