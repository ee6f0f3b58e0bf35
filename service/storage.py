"""Audio on disk: written, fsync'd and renamed into place before an upload is answered."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16


class TooLarge(ValueError):
    """The upload is over the configured size limit."""


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size: int
    sha256: str
    head: bytes  # the first bytes, for sniffing the container


def _fsync_dir(directory: Path) -> None:
    # A rename is only durable once the directory entry itself has reached the disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AudioStore:
    """Keeps each note's audio under ``root/<owner id>/<note id>.<container>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def incoming(self, stream: BinaryIO, max_bytes: int) -> StoredFile:
        """Copy an upload to a durable temporary file, hashing and counting as it streams."""
        staging = self.root / ".incoming"
        staging.mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, b""
        fd, name = tempfile.mkstemp(dir=staging, suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"the file is larger than {max_bytes // (1 << 20)} MiB")
                    if len(head) < 4096:
                        head += chunk[: 4096 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return StoredFile(path=path, size=size, sha256=digest.hexdigest(), head=head)

    def relative_path(self, owner_id: str, note_id: str, container: str) -> str:
        return f"{owner_id}/{note_id}.{container}"

    def commit(self, incoming: StoredFile, relative: str) -> Path:
        """Move a staged upload to its final place, durably."""
        final = self.root / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming.path, final)
        _fsync_dir(final.parent)
        return final

    def discard(self, incoming: StoredFile) -> None:
        incoming.path.unlink(missing_ok=True)

    def path_of(self, relative: str) -> Path:
        return self.root / relative

    def delete(self, relative: str) -> None:
        path = self.root / relative
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            _fsync_dir(path.parent)

    def delete_owner(self, owner_id: str) -> None:
        shutil.rmtree(self.root / owner_id, ignore_errors=True)
