"""Every setting Homeward reads, with its default and why, in one place.

Settings come from ``HOMEWARD_*`` environment variables when the app is created (never at import
time), are validated, and are refused with a message that names the variable when wrong.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PREFIX = "HOMEWARD_"

ENGINES = ("faster-whisper", "openai-whisper")
MIN_DECODE_MEMORY_MB = 512


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _meta(doc: str) -> dict[str, str]:
    return {"doc": doc}


@dataclass(frozen=True)
class Settings:
    """Homeward's configuration; each field maps to HOMEWARD_<FIELD NAME IN CAPITALS>."""

    data_dir: Path = field(
        default=Path("instance"),
        metadata=_meta("Folder for the SQLite database, audio and model cache."),
    )
    database_url: str = field(
        default="",
        metadata=_meta("SQLAlchemy URL; empty means SQLite in the data folder."),
    )
    redis_url: str = field(
        default="redis://127.0.0.1:6379/0",
        metadata=_meta("Redis that carries the transcription queue."),
    )
    audio_dir: Path | None = field(
        default=None,
        metadata=_meta("Where uploaded audio is kept; default: <data_dir>/audio."),
    )
    model_cache_dir: Path | None = field(
        default=None,
        metadata=_meta("Converted model checkpoints; default: <data_dir>/models."),
    )
    engine: str = field(
        default="faster-whisper",
        metadata=_meta("Transcription engine: faster-whisper or openai-whisper."),
    )
    whisper_model: str = field(
        default="tiny.en",
        metadata=_meta("Model name (tiny.en is bundled and works offline) or a local path."),
    )
    beam_size: int = field(
        default=5, metadata=_meta("Beam width; 1 to 3 lost words that 5 kept (see benchmarks).")
    )
    compute_type: str = field(
        default="int8",
        metadata=_meta("faster-whisper weight precision: int8, float32, int8_float32."),
    )
    cpu_threads: int = field(
        default=0,
        metadata=_meta("Engine threads per worker; 0 means one per CPU core it may use."),
    )
    decoder_replicas: int = field(
        default=0,
        metadata=_meta(
            "Batched pipeline: model replicas decoding at once, one thread each; 0 means one "
            "per engine thread (at most batch size / 2); 1 is one model using every thread."
        ),
    )
    vad_filter: bool = field(
        default=True,
        metadata=_meta(
            "Voice activity detection in faster-whisper's sequential decoder (batch size 0 "
            "or 1): 16.2 to 12.2 % WER here; the batched pipeline always uses it."
        ),
    )
    batch_size: int = field(
        default=4,
        metadata=_meta(
            "Above 1: faster-whisper's batched pipeline: the speech VAD finds, this many 30 s "
            "windows at once, then the speech they left out; 8 needs 300 MB more."
        ),
    )
    queue_name: str = field(
        default="homeward-transcribe", metadata=_meta("RQ queue that carries transcription jobs.")
    )
    max_upload_mb: int = field(
        default=200, metadata=_meta("Largest upload accepted, in MiB; larger gets 413.")
    )
    max_duration_s: int = field(
        default=3 * 3600,
        metadata=_meta("Longest note accepted, in seconds of audio."),
    )
    job_timeout_base_s: int = field(
        default=120, metadata=_meta("Job time limit: this many seconds ...")
    )
    job_timeout_per_audio_s: float = field(
        default=2.0,
        metadata=_meta("... plus this many per second of audio (CPU-only machines)."),
    )
    job_retries: int = field(
        default=3, metadata=_meta("Times a job that crashed is retried before it fails.")
    )
    decode_timeout_s: int = field(
        default=600, metadata=_meta("Longest an ffmpeg decode may run before it is killed.")
    )
    decode_memory_mb: int = field(
        default=1024, metadata=_meta("Address-space limit of the ffmpeg decode process.")
    )
    token_ttl_hours: int = field(default=24 * 30, metadata=_meta("Lifetime of API bearer tokens."))
    secret_key: str = field(
        default="",
        metadata=_meta("Key that signs cookies; empty makes a random one per process."),
    )
    master_key: str = field(
        default="",
        metadata=_meta(
            "Master key (base64, 32 bytes) that wraps each client's key. Keep it "
            "apart from the data and its backups."
        ),
    )
    master_key_file: Path | None = field(
        default=None, metadata=_meta("A file holding the master key, instead of the variable.")
    )
    session_idle_minutes: int = field(
        default=30, metadata=_meta("A web session unused this long is signed out.")
    )
    session_max_hours: int = field(
        default=12, metadata=_meta("A web session ends this long after sign-in, used or not.")
    )
    invite_ttl_hours: int = field(
        default=48, metadata=_meta("How long a therapist invite code stays valid.")
    )
    sign_in_limit: int = field(
        default=10, metadata=_meta("Sign-in attempts per email (and 3x per address) ...")
    )
    sign_in_window_s: int = field(
        default=900, metadata=_meta("... within this many seconds, before 429.")
    )
    sign_up_limit: int = field(
        default=30, metadata=_meta("Accounts one address may create in an hour.")
    )
    password_time_cost: int = field(
        default=3, metadata=_meta("argon2id passes (at least 2, OWASP's floor).")
    )
    password_memory_kib: int = field(
        default=65536, metadata=_meta("argon2id memory in KiB (at least 19456, OWASP's floor).")
    )
    reconcile_interval_s: int = field(
        default=15, metadata=_meta("How often a worker looks for notes whose job was lost.")
    )
    reconcile_after_s: int = field(
        default=30,
        metadata=_meta(
            "A queued or processing note untouched this long, with no live job, is queued again."
        ),
    )
    worker_heartbeat_s: int = field(
        default=5,
        metadata=_meta(
            "Workers renew a liveness key this often; three missed renewals mark "
            "a worker dead and its job abandoned."
        ),
    )
    log_level: str = field(default="INFO", metadata=_meta("Logging level."))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'homeward.sqlite3').resolve()}"

    @property
    def resolved_audio_dir(self) -> Path:
        return self.audio_dir or self.data_dir / "audio"

    @property
    def resolved_model_cache_dir(self) -> Path:
        return self.model_cache_dir or self.data_dir / "models"


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{PREFIX}{name.upper()} must be true or false, not {raw!r}")


def _coerce(name: str, kind: str, raw: Any) -> Any:
    """Turn an environment string into the field's type (annotations are strings here)."""
    if not isinstance(raw, str):
        return raw
    if kind == "bool":
        return _parse_bool(name, raw)
    if kind.startswith("Path"):
        if not raw and kind == "Path":
            raise ConfigError(f"{PREFIX}{name.upper()} must not be empty")
        return Path(raw).expanduser() if raw else None
    parse: Callable[[str], Any] | None = {"int": int, "float": float}.get(kind)
    if parse is None:
        return raw
    try:
        return parse(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name.upper()} must be a number, not {raw!r}") from None


def _validate(settings: Settings) -> None:
    if settings.engine not in ENGINES:
        raise ConfigError(
            f"{PREFIX}ENGINE must be one of {', '.join(ENGINES)}, not {settings.engine!r}"
        )
    positive = (
        "beam_size",
        "max_upload_mb",
        "max_duration_s",
        "decode_timeout_s",
        "token_ttl_hours",
        "job_timeout_base_s",
        "session_idle_minutes",
        "session_max_hours",
        "invite_ttl_hours",
        "sign_in_limit",
        "sign_in_window_s",
        "sign_up_limit",
        "reconcile_interval_s",
        "reconcile_after_s",
        "worker_heartbeat_s",
    )
    for name in positive:
        if getattr(settings, name) < 1:
            raise ConfigError(f"{PREFIX}{name.upper()} must be at least 1")
    if settings.decode_memory_mb < MIN_DECODE_MEMORY_MB:
        # Below this ffmpeg cannot even map its own libraries.
        raise ConfigError(f"{PREFIX}DECODE_MEMORY_MB must be at least {MIN_DECODE_MEMORY_MB}")
    if settings.password_time_cost < 2 or settings.password_memory_kib < 19456:
        raise ConfigError(
            f"{PREFIX}PASSWORD_TIME_COST must be at least 2 and "
            f"{PREFIX}PASSWORD_MEMORY_KIB at least 19456 (OWASP's argon2id floor)"
        )
    if not 0 <= settings.job_timeout_per_audio_s < 1000:
        raise ConfigError(f"{PREFIX}JOB_TIMEOUT_PER_AUDIO_S must be from 0 to 1000")
    if min(settings.cpu_threads, settings.job_retries, settings.decoder_replicas) < 0:
        raise ConfigError(
            f"{PREFIX}CPU_THREADS, {PREFIX}DECODER_REPLICAS and {PREFIX}JOB_RETRIES "
            "must not be negative"
        )
    url = settings.resolved_database_url
    if not url.startswith(("sqlite", "postgresql")):
        raise ConfigError(f"{PREFIX}DATABASE_URL must be a sqlite:// or postgresql:// URL")
    if not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"{PREFIX}REDIS_URL must be a redis:// URL")


def load_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    default_data_dir: Path | None = None,
) -> Settings:
    """Build Settings from the environment, then overrides (a test mapping), and validate."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    if default_data_dir is not None:
        values["data_dir"] = default_data_dir
    for f in fields(Settings):
        key = PREFIX + f.name.upper()
        if key in environ:
            values[f.name] = _coerce(f.name, str(f.type), environ[key])
    kinds = {f.name: str(f.type) for f in fields(Settings)}
    for name, raw in (overrides or {}).items():
        if name not in kinds:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _coerce(name, kinds[name], raw)
    settings = replace(Settings(), **values)
    _validate(settings)
    return settings


def describe_settings() -> list[tuple[str, str, str]]:
    """Return (variable, default, meaning) for every setting: the README's table."""
    rows = []
    for f in fields(Settings):
        default = f.default if f.default is not None else ""
        rows.append((PREFIX + f.name.upper(), str(default), f.metadata["doc"]))
    return rows
