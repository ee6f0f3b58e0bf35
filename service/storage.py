"""Audio at rest: sealed with the owner's key, fsync'd and renamed into place before an upload is
answered. Plaintext audio only ever lives in memory (memfd), never in a file on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from service.crypto import ClientKeys

CHUNK = 1 << 16


class TooLarge(ValueError):
    """The upload is over the configured size limit."""


def memory_file(name: str) -> BinaryIO:
    """An anonymous in-memory file with a real descriptor that child processes can open."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create(name, os.MFD_CLOEXEC), "w+b")
    return tempfile.TemporaryFile()  # pragma: no cover - not Linux: unlinked at once


def fd_path(handle: BinaryIO) -> str:
    """A path by which a child process given this descriptor (pass_fds) can open the file."""
    return f"/proc/self/fd/{handle.fileno()}"


@dataclass
class Incoming:
    """An upload held in memory while it is checked."""

    handle: BinaryIO
    size: int
    sha256: str
    head: bytes  # the first bytes, for sniffing the container

    def close(self) -> None:
        self.handle.close()


def _fsync_dir(directory: Path) -> None:
    # A rename is only durable once the directory entry itself has reached the disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AudioStore:
    """Keeps each note's sealed audio under ``root/<owner id>/<note id>.<container>.sealed``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def incoming(self, stream: BinaryIO, max_bytes: int) -> Incoming:
        """Copy an upload into memory, hashing and counting as it streams."""
        digest, size, head = hashlib.sha256(), 0, b""
        handle = memory_file("homeward-upload")
        try:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"the file is larger than {max_bytes // (1 << 20)} MiB")
                if len(head) < 4096:
                    head += chunk[: 4096 - len(head)]
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        return Incoming(handle=handle, size=size, sha256=digest.hexdigest(), head=head)

    def relative_path(self, owner_id: str, note_id: str, container: str) -> str:
        return f"{owner_id}/{note_id}.{container}.sealed"

    def commit(self, incoming: Incoming, relative: str, keys: ClientKeys, note_id: str) -> Path:
        """Seal the upload into its final place: temp file, fsync, rename, fsync the folder."""
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=final.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                incoming.handle.seek(0)
                keys.seal_audio(note_id, incoming.handle, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, final)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return final

    def open_plain(self, relative: str, keys: ClientKeys, note_id: str) -> BinaryIO:
        """Decrypt a note's audio into memory; raises DecryptionError if it was tampered with."""
        handle = memory_file("homeward-audio")
        try:
            with (self.root / relative).open("rb") as sealed:
                for chunk in keys.open_audio(note_id, sealed):
                    handle.write(chunk)
            handle.flush()
            handle.seek(0)
        except BaseException:
            handle.close()
            raise
        return handle

    def path_of(self, relative: str) -> Path:
        return self.root / relative

    def delete(self, relative: str) -> None:
        path = self.root / relative
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            _fsync_dir(path.parent)

    def delete_owner(self, owner_id: str) -> None:
        shutil.rmtree(self.root / owner_id, ignore_errors=True)
