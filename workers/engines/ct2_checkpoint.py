"""Read CTranslate2's Whisper ``model.bin`` and turn it into an openai-whisper checkpoint.

The bundled offline model ships only in CTranslate2's format. Converting it lets openai-whisper
run the very same weights without a download. The checkpoint is the dict ``whisper.load_model``
expects: ``{"dims": {...ModelDimensions...}, "model_state_dict": {...}}``.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import re
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workers.model_files import sha256_of

log = logging.getLogger(__name__)

#: The model.bin layout this reader understands (CURRENT_BINARY_VERSION of ctranslate2 4.x).
SUPPORTED_FORMAT_VERSION = 6

#: model.bin dtype ids. numpy has no bfloat16 (5): it is read as uint16 and widened to float32.
_DTYPES = {0: "<f4", 1: "i1", 2: "<i2", 3: "<i4", 4: "<f2", 5: "<u2"}
_BFLOAT16 = 5

#: Attention heads by model width, for files that do not record them (all official sizes).
_HEADS_BY_WIDTH = {384: 6, 512: 8, 768: 12, 1024: 16, 1280: 20}

#: Scalars describing the architecture, and the values openai-whisper's code hard-wires.
_EXPECTED_SCALARS = {
    "decoder/activation": 3,  # CTranslate2's Activation.GELU (erf), as nn.GELU()
    "decoder/alibi": 0,
    "decoder/pre_norm": 1,
    "decoder/scale_embeddings": 0,
    "decoder/start_from_zero_embedding": 0,
}

_LAYER = re.compile(r"(encoder|decoder)/layer_(\d+)/(.+)/(\w+)$")
_PARAM = {"gamma": "weight", "beta": "bias", "weight": "weight", "bias": "bias"}
_TOP_LEVEL = {
    "encoder/conv1": "encoder.conv1",
    "encoder/conv2": "encoder.conv2",
    "encoder/layer_norm": "encoder.ln_post",
    "decoder/layer_norm": "decoder.ln",
    "decoder/embeddings": "decoder.token_embedding",
}
_POSITIONS = {
    "encoder/position_encodings/encodings": "encoder.positional_embedding",
    "decoder/position_encodings/encodings": "decoder.positional_embedding",
}
_EMBEDDINGS = "decoder/embeddings/weight"
_REQUIRED = (_EMBEDDINGS, "encoder/conv1/weight", *_POSITIONS)
_BLOCK_PARTS = {
    "self_attention/layer_norm": "attn_ln",
    "self_attention/linear_1": "attn.out",
    "attention/layer_norm": "cross_attn_ln",
    "attention/linear_0": "cross_attn.query",
    "attention/linear_2": "cross_attn.out",
    "ffn/layer_norm": "mlp_ln",
    "ffn/linear_0": "mlp.0",
    "ffn/linear_1": "mlp.2",
}
#: CTranslate2 fuses these projections into one matrix; rows are stacked in this order.
_FUSED_PARTS = {
    "self_attention/linear_0": ("attn", ("query", "key", "value")),
    "attention/linear_1": ("cross_attn", ("key", "value")),
}


class Ct2FormatError(ValueError):
    """model.bin is not a CTranslate2 Whisper model this converter understands."""


@dataclass(frozen=True)
class Ct2Model:
    """The contents of a CTranslate2 model.bin."""

    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str] = field(default_factory=dict)

    def scalar(self, name: str) -> int | None:
        """Return a scalar variable as an int, or None when the file does not record it."""
        value = self.variables.get(name)
        return None if value is None or value.ndim else int(value)


class _Cursor:
    """Sequential little-endian reads over a byte buffer, failing clearly at its end."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.path = path
        self.offset = 0

    def take(self, size: int) -> int:
        """Advance over size bytes and return where they start."""
        start = self.offset
        if start + size > len(self.data):
            raise Ct2FormatError(
                f"{self.path} is truncated: wanted {size} bytes at offset {start}, "
                f"file has {len(self.data)}"
            )
        self.offset += size
        return start

    def unpack(self, fmt: str) -> int:
        """Read one little-endian integer of struct format fmt."""
        return struct.unpack_from("<" + fmt, self.data, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        """Read a uint16 length (counting the trailing NUL) and that many bytes."""
        length = self.unpack("H")
        start = self.take(length)
        return self.data[start : start + length].rstrip(b"\0").decode("utf-8")

    def array(self, name: str) -> np.ndarray:
        """Read one variable record after its name: rank, dims, dtype, byte count, bytes."""
        dims = [self.unpack("I") for _ in range(self.unpack("B"))]
        dtype_id = self.unpack("B")
        if dtype_id not in _DTYPES:
            raise Ct2FormatError(f"{self.path}: variable {name} has unknown dtype id {dtype_id}")
        dtype = np.dtype(_DTYPES[dtype_id])
        nbytes = self.unpack("I")
        count = int(np.prod(dims, dtype=np.int64))
        if nbytes != count * dtype.itemsize:
            raise Ct2FormatError(f"{self.path}: variable {name} {dims} has {nbytes} bytes")
        # A view into the file's bytes: no copy until the converter slices or casts.
        values = np.frombuffer(self.data, dtype, count, self.take(nbytes)).reshape(dims)
        if dtype_id == _BFLOAT16:
            values = (values.astype(np.uint32) << 16).view(np.float32)
        return values


def read_ct2_model(path: Path) -> Ct2Model:
    """Parse a CTranslate2 model.bin into named numpy arrays."""
    cursor = _Cursor(path.read_bytes(), path)
    version = cursor.unpack("I")
    if version != SUPPORTED_FORMAT_VERSION:
        raise Ct2FormatError(
            f"{path} has model format version {version}; only {SUPPORTED_FORMAT_VERSION} is read"
        )
    spec = cursor.string()
    revision = cursor.unpack("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(cursor.unpack("I")):
        name = cursor.string()
        variables[name] = cursor.array(name)
    aliases = {}
    for _ in range(cursor.unpack("I")):
        alias = cursor.string()
        aliases[alias] = cursor.string()
    if cursor.offset != len(cursor.data):
        raise Ct2FormatError(f"{path} has {len(cursor.data) - cursor.offset} trailing bytes")
    log.debug("read %s: %s rev %d, %d variables", path, spec, revision, len(variables))
    return Ct2Model(spec=spec, revision=revision, variables=variables, aliases=aliases)


def _check_architecture(model: Ct2Model) -> None:
    """Refuse models whose layers openai-whisper's fixed architecture cannot reproduce."""
    if not model.spec.startswith("Whisper"):
        raise Ct2FormatError(f"spec {model.spec!r} is not a Whisper model")
    for name, expected in _EXPECTED_SCALARS.items():
        actual = model.scalar(name)
        if actual is not None and actual != expected:
            raise Ct2FormatError(f"{name} is {actual}; openai-whisper needs {expected}")
    if any(name.endswith("_scale") for name in model.variables):
        raise Ct2FormatError("int8-quantized weights are not supported; use a float16 model")
    missing = [name for name in _REQUIRED if name not in model.variables]
    if missing:
        raise Ct2FormatError(f"missing variables: {', '.join(missing)}")
    projection = model.variables.get("decoder/projection/weight")
    embedding = model.variables[_EMBEDDINGS]
    if model.aliases.get("decoder/projection/weight", _EMBEDDINGS) != _EMBEDDINGS:
        raise Ct2FormatError("decoder/projection aliases something other than the embeddings")
    # openai-whisper ties the output projection to the token embedding.
    if projection is not None and not np.array_equal(projection, embedding):
        raise Ct2FormatError("decoder/projection differs from the embeddings; cannot tie them")


def _split_fused(prefix: str, part: str, param: str, values: np.ndarray) -> dict[str, Any]:
    """Split a fused attention projection into openai-whisper's separate Linear layers."""
    module, names = _FUSED_PARTS[part]
    out = {}
    for name, chunk in zip(names, np.split(values, len(names)), strict=True):
        if name == "key" and param == "bias":
            # A key bias shifts every score of a query by the same amount, which softmax
            # ignores; openai-whisper's key Linear has none, and CTranslate2 stores zeros.
            if np.any(chunk):
                log.warning("%s.%s: dropping a non-zero key bias", prefix, module)
            continue
        out[f"{prefix}.{module}.{name}.{param}"] = chunk
    return out


def _map_variable(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Return the openai-whisper state-dict entries for one CTranslate2 variable."""
    if name in _POSITIONS:
        return {_POSITIONS[name]: values}
    module, _, param = name.rpartition("/")
    if module in _TOP_LEVEL and param in _PARAM:
        return {f"{_TOP_LEVEL[module]}.{_PARAM[param]}": values}
    match = _LAYER.match(name)
    if match is None or match[4] not in _PARAM:
        raise Ct2FormatError(f"no openai-whisper parameter for CTranslate2 variable {name}")
    stack, index, part, param = match[1], match[2], match[3], _PARAM[match[4]]
    prefix = f"{stack}.blocks.{index}"
    if part in _FUSED_PARTS:
        return _split_fused(prefix, part, param, values)
    if part not in _BLOCK_PARTS:
        raise Ct2FormatError(f"no openai-whisper parameter for CTranslate2 variable {name}")
    return {f"{prefix}.{_BLOCK_PARTS[part]}.{param}": values}


def _count_layers(variables: dict[str, np.ndarray], stack: str) -> int:
    """Count the distinct layer_N indices under encoder/ or decoder/."""
    pattern = re.compile(rf"{stack}/layer_(\d+)/")
    return len({m[1] for name in variables if (m := pattern.match(name))})


def _heads(model: Ct2Model, stack: str, width: int) -> int:
    """Return the attention head count the file records, else the official size's."""
    heads = model.scalar(f"{stack}/num_heads") or _HEADS_BY_WIDTH.get(width)
    if heads is None:
        raise Ct2FormatError(f"{stack} width {width} is no Whisper size and has no num_heads")
    return heads


def model_dimensions(model: Ct2Model) -> dict[str, int]:
    """Derive openai-whisper's ModelDimensions fields from the tensor shapes."""
    v = model.variables
    audio_ctx, audio_state = v["encoder/position_encodings/encodings"].shape
    text_ctx, text_state = v["decoder/position_encodings/encodings"].shape
    return {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(audio_ctx),
        "n_audio_state": int(audio_state),
        "n_audio_head": _heads(model, "encoder", int(audio_state)),
        "n_audio_layer": _count_layers(v, "encoder"),
        "n_vocab": int(v[_EMBEDDINGS].shape[0]),
        "n_text_ctx": int(text_ctx),
        "n_text_state": int(text_state),
        "n_text_head": _heads(model, "decoder", int(text_state)),
        "n_text_layer": _count_layers(v, "decoder"),
    }


def convert_to_openai_checkpoint(ct2_dir: Path) -> dict[str, Any]:
    """Convert ct2_dir/model.bin into the checkpoint dict whisper.load_model reads."""
    import torch  # deferred: the faster-whisper worker imports this package without torch

    model = read_ct2_model(ct2_dir / "model.bin")
    _check_architecture(model)
    state: dict[str, Any] = {}
    for name, values in model.variables.items():
        if values.ndim == 0 or name == "decoder/projection/weight":
            continue  # architecture scalars (checked above) and the tied projection
        for key, array in _map_variable(name, values).items():
            # Copy: the arrays are read-only views into the file and torch wants its own.
            state[key] = torch.from_numpy(np.array(array))
    return {"dims": model_dimensions(model), "model_state_dict": state}


def alignment_heads_dump(ct2_dir: Path, n_text_layer: int, n_text_head: int) -> bytes | None:
    """Encode config.json's alignment heads the way Whisper.set_alignment_heads reads them."""
    config_path = ct2_dir / "config.json"
    if not config_path.is_file():
        return None
    heads = json.loads(config_path.read_text(encoding="utf-8")).get("alignment_heads")
    if not heads:
        return None
    mask = np.zeros((n_text_layer, n_text_head), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


def cached_openai_checkpoint(ct2_dir: Path, cache_dir: Path) -> Path:
    """Return a cached checkpoint for ct2_dir, converting and writing it on first use."""
    import torch  # deferred, as in convert_to_openai_checkpoint

    # Keyed on the content hash, not size+mtime: hashing 75 MB takes ~0.1 s once per worker
    # start, and a copied or replaced model.bin can never be served stale weights.
    digest = sha256_of(ct2_dir / "model.bin")
    target = cache_dir / f"openai-{digest[:16]}.pt"
    if target.is_file():
        log.debug("reusing converted checkpoint %s", target)
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = convert_to_openai_checkpoint(ct2_dir)
    # Write beside the target and rename: concurrent workers and crashes never leave a
    # half-written file under the final name.
    fd, tmp_name = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=cache_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(checkpoint, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    log.info("converted %s to openai-whisper checkpoint %s", ct2_dir, target)
    return target
