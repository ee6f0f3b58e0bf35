"""Encryption at rest: a key per client, wrapped by a master key kept apart from the data.

- The master key (32 bytes) comes from HOMEWARD_MASTER_KEY (base64) or HOMEWARD_MASTER_KEY_FILE,
  never from the database or the data folder.
- Each client has a random data key, stored only wrapped (AES-256-GCM under the master key, bound
  to the account id). Erasing the account erases the wrapped key: any copy left in a backup is
  unreadable.
- Text (titles, transcripts, segments) is sealed with AES-256-GCM. The associated data names the
  owner, the note and the field, so a ciphertext copied to another note or field fails to open.
- Audio is sealed in 1 MiB chunks, each bound to its index and to whether it is the last, so a
  file cannot be truncated, reordered or moved to another note without detection.
- Search uses a blind index: HMAC-SHA256 of each normalised word under a per-client key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
AUDIO_MAGIC = b"HWA1"
AUDIO_CHUNK = 1 << 20
_TEXT_VERSION = b"\x01"


class MasterKeyError(RuntimeError):
    """The master key is missing or malformed."""


class DecryptionError(RuntimeError):
    """A ciphertext did not open: wrong key, wrong note, or tampered with."""


def _decode_key(raw: str, where: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise MasterKeyError(
            f"{where} must be {KEY_BYTES} random bytes in base64 "
            "(make one with: openssl rand -base64 32)"
        )
    return key


def load_master_key(value: str, file: Path | None) -> bytes:
    """Read the master key from its setting or its file; raise MasterKeyError when neither works."""
    if value:
        return _decode_key(value, "HOMEWARD_MASTER_KEY")
    if file is not None:
        try:
            return _decode_key(file.read_text(), f"the key in {file}")
        except OSError as exc:
            raise MasterKeyError(
                f"cannot read HOMEWARD_MASTER_KEY_FILE {file}: {exc.strerror}"
            ) from None
    raise MasterKeyError(
        "set HOMEWARD_MASTER_KEY or HOMEWARD_MASTER_KEY_FILE: notes are encrypted "
        "with it (make one with: openssl rand -base64 32)"
    )


def new_master_key_file(path: Path) -> None:
    """Write a fresh master key readable by its owner alone."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(os.urandom(KEY_BYTES)).decode() + "\n")


def _derive(key: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"homeward/{purpose}".encode()
    ).derive(key)


def _aad(*parts: str) -> bytes:
    return "\x1f".join(("homeward", *parts)).encode()


@dataclass(frozen=True)
class ClientKeys:
    """One client's keys, derived from their data key."""

    owner_id: str
    text: bytes
    audio: bytes
    search: bytes

    def seal_text(self, note_id: str, field: str, plaintext: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.text).encrypt(
            nonce, plaintext.encode(), _aad("text", self.owner_id, note_id, field)
        )
        return _TEXT_VERSION + nonce + sealed

    def open_text(self, note_id: str, field: str, blob: bytes) -> str:
        if not blob or blob[:1] != _TEXT_VERSION:
            raise DecryptionError(f"the {field} of note {note_id} is not in a known format")
        try:
            plain = AESGCM(self.text).decrypt(
                blob[1:13], blob[13:], _aad("text", self.owner_id, note_id, field)
            )
        except InvalidTag:
            raise DecryptionError(
                f"the {field} of note {note_id} does not belong to it or was altered"
            ) from None
        return plain.decode()

    def blind(self, word: str) -> str:
        """The blind-index token of a normalised word: 16 hex digits of a keyed hash."""
        return hmac.new(self.search, word.encode(), hashlib.sha256).hexdigest()[:16]

    def seal_audio(self, note_id: str, source: BinaryIO, target: BinaryIO) -> None:
        """Encrypt a whole file in chunks, each bound to its position and to the note."""
        base = os.urandom(8)
        target.write(AUDIO_MAGIC + base)
        cipher = AESGCM(self.audio)
        chunk, index = source.read(AUDIO_CHUNK), 0
        while True:
            following = source.read(AUDIO_CHUNK)
            last = not following
            nonce = base + struct.pack(">I", index)
            aad = _aad("audio", self.owner_id, note_id, str(index), "last" if last else "more")
            target.write(cipher.encrypt(nonce, chunk, aad))
            if last:
                return
            chunk, index = following, index + 1

    def open_audio(self, note_id: str, source: BinaryIO) -> Iterator[bytes]:
        """Yield the plaintext chunks of a sealed file; raise DecryptionError on any tampering."""
        header = source.read(len(AUDIO_MAGIC) + 8)
        if header[:4] != AUDIO_MAGIC:
            raise DecryptionError(f"the audio of note {note_id} is not an encrypted Homeward file")
        cipher, base, index = AESGCM(self.audio), header[4:], 0
        block = source.read(AUDIO_CHUNK + 16)
        while block:
            following = source.read(AUDIO_CHUNK + 16)
            aad = _aad("audio", self.owner_id, note_id, str(index), "more" if following else "last")
            try:
                yield cipher.decrypt(base + struct.pack(">I", index), block, aad)
            except InvalidTag:
                raise DecryptionError(
                    f"the audio of note {note_id} does not belong to it or was altered"
                ) from None
            block, index = following, index + 1
        if index == 0:
            raise DecryptionError(f"the audio of note {note_id} is empty")


class Keyring:
    """Wraps and unwraps client data keys with the master key."""

    def __init__(self, master_key: bytes) -> None:
        self._master = AESGCM(_derive(master_key, "wrap"))
        self.key_id = hashlib.sha256(master_key).hexdigest()[:8]

    def new_wrapped_key(self, owner_id: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        data_key = os.urandom(KEY_BYTES)
        return nonce + self._master.encrypt(nonce, data_key, _aad("wrap", owner_id))

    def client_keys(self, owner_id: str, wrapped: bytes) -> ClientKeys:
        try:
            data_key = self._master.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad("wrap", owner_id)
            )
        except InvalidTag:
            raise DecryptionError(
                "this account's key does not open with the configured master "
                "key (was HOMEWARD_MASTER_KEY changed?)"
            ) from None
        return ClientKeys(
            owner_id=owner_id,
            text=_derive(data_key, "text"),
            audio=_derive(data_key, "audio"),
            search=_derive(data_key, "search"),
        )
