"""Settings: defaults, HOMEWARD_* parsing, and refusals that name the variable."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from service.config import ConfigError, Settings, describe_settings, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.data_dir == Path("instance")
    assert settings.engine == "faster-whisper"
    assert settings.whisper_model == "tiny.en"
    assert settings.beam_size == 5
    assert settings.vad_filter is True
    assert settings.max_upload_mb == 200
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.resolved_audio_dir == Path("instance") / "audio"
    assert settings.resolved_model_cache_dir == Path("instance") / "models"


def test_environment_is_ignored_without_prefix() -> None:
    assert load_settings({"BEAM_SIZE": "9", "homeward_beam_size": "9"}).beam_size == 5


def test_default_data_dir_argument_is_used() -> None:
    assert load_settings({}, default_data_dir=Path("/srv/x")).data_dir == Path("/srv/x")
    env = {"HOMEWARD_DATA_DIR": "/srv/env"}
    assert load_settings(env, default_data_dir=Path("/srv/x")).data_dir == Path("/srv/env")


def test_environment_parsing_of_each_type(tmp_path: Path) -> None:
    settings = load_settings({
        "HOMEWARD_BEAM_SIZE": "3",
        "HOMEWARD_CPU_THREADS": " 4 ",
        "HOMEWARD_JOB_TIMEOUT_PER_AUDIO_S": "0.75",
        "HOMEWARD_VAD_FILTER": "no",
        "HOMEWARD_DATA_DIR": str(tmp_path),
        "HOMEWARD_AUDIO_DIR": str(tmp_path / "audio-here"),
        "HOMEWARD_ENGINE": "openai-whisper",
        "HOMEWARD_DATABASE_URL": "postgresql+psycopg://u@db/homeward",
        "HOMEWARD_REDIS_URL": "rediss://queue:6380/1",
    })  # fmt: skip
    assert settings.beam_size == 3 and isinstance(settings.beam_size, int)
    assert settings.cpu_threads == 4
    assert settings.job_timeout_per_audio_s == 0.75
    assert settings.vad_filter is False
    assert settings.data_dir == tmp_path and isinstance(settings.data_dir, Path)
    assert settings.resolved_audio_dir == tmp_path / "audio-here"
    assert settings.resolved_model_cache_dir == tmp_path / "models"
    assert settings.engine == "openai-whisper"
    assert settings.resolved_database_url == "postgresql+psycopg://u@db/homeward"
    assert settings.redis_url == "rediss://queue:6380/1"


def test_path_expands_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_settings({"HOMEWARD_DATA_DIR": "~/homeward"}).data_dir == tmp_path / "homeward"


def test_empty_optional_path_means_default() -> None:
    settings = load_settings({"HOMEWARD_AUDIO_DIR": ""})
    assert settings.audio_dir is None
    assert settings.resolved_audio_dir == Path("instance") / "audio"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("TRUE", True), ("yes", True), ("1", True), ("on", True),
     ("false", False), ("False", False), ("no", False), ("0", False), ("off", False)],
)  # fmt: skip
def test_bool_parsing(raw: str, expected: bool) -> None:
    assert load_settings({"HOMEWARD_VAD_FILTER": raw}).vad_filter is expected


def test_overrides_beat_environment_and_are_coerced(tmp_path: Path) -> None:
    settings = load_settings(
        {"HOMEWARD_BEAM_SIZE": "3"},
        {"beam_size": "7", "vad_filter": "true", "data_dir": str(tmp_path), "cpu_threads": 2},
    )
    assert settings.beam_size == 7
    assert settings.vad_filter is True
    assert settings.data_dir == tmp_path
    assert settings.cpu_threads == 2


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        ({"HOMEWARD_BEAM_SIZE": "five"}, "HOMEWARD_BEAM_SIZE", "number"),
        ({"HOMEWARD_MAX_UPLOAD_MB": "1.5"}, "HOMEWARD_MAX_UPLOAD_MB", "number"),
        ({"HOMEWARD_JOB_TIMEOUT_PER_AUDIO_S": "fast"}, "HOMEWARD_JOB_TIMEOUT_PER_AUDIO_S",
         "number"),
        ({"HOMEWARD_VAD_FILTER": "maybe"}, "HOMEWARD_VAD_FILTER", "true or false"),
        ({"HOMEWARD_ENGINE": "whisper.cpp"}, "HOMEWARD_ENGINE", "faster-whisper"),
        ({"HOMEWARD_DATABASE_URL": "mysql://u@db/homeward"}, "HOMEWARD_DATABASE_URL",
         "postgresql"),
        ({"HOMEWARD_REDIS_URL": "http://127.0.0.1:6379/0"}, "HOMEWARD_REDIS_URL", "redis://"),
        ({"HOMEWARD_BEAM_SIZE": "0"}, "HOMEWARD_BEAM_SIZE", "at least 1"),
        ({"HOMEWARD_CPU_THREADS": "-1"}, "HOMEWARD_CPU_THREADS", "negative"),
        ({"HOMEWARD_JOB_RETRIES": "-1"}, "HOMEWARD_JOB_RETRIES", "negative"),
        ({"HOMEWARD_DECODE_TIMEOUT_S": "0"}, "HOMEWARD_DECODE_TIMEOUT_S", "at least 1"),
    ],
    ids=["non-number", "int-with-fraction", "non-float", "bad-bool", "unknown-engine",
         "mysql-url", "http-redis-url", "beam-zero", "negative-threads", "negative-retries",
         "decode-timeout-zero"],
)  # fmt: skip
def test_bad_values_are_refused_naming_the_variable(
    env: dict[str, str], variable: str, words: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    assert variable in str(refused.value)
    assert words in str(refused.value)


def test_bad_override_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="HOMEWARD_BEAM_SIZE"):
        load_settings({}, {"beam_size": "wide"})


def test_unknown_override_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'beam_width'"):
        load_settings({}, {"beam_width": 3})


def test_empty_data_dir_is_refused_not_a_crash() -> None:
    # An empty HOMEWARD_DATA_DIR (e.g. `HOMEWARD_DATA_DIR=` in a compose file) must give a
    # ConfigError naming it, not a TypeError from deep inside resolved_database_url.
    with pytest.raises(ConfigError, match="HOMEWARD_DATA_DIR"):
        load_settings({"HOMEWARD_DATA_DIR": ""})


@pytest.mark.parametrize("name", ["DECODE_MEMORY_MB", "TOKEN_TTL_HOURS"])
def test_limits_that_break_everything_at_zero_are_refused(name: str) -> None:
    # decode_memory_mb=0 makes every decode fail ("file may be damaged"); token_ttl_hours=0
    # makes every token expire at once. Both must be refused like beam_size=0.
    with pytest.raises(ConfigError, match=f"HOMEWARD_{name}"):
        load_settings({f"HOMEWARD_{name}": "0"})


def test_database_url_defaults_to_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"HOMEWARD_DATA_DIR": str(tmp_path)})
    assert settings.database_url == ""
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/homeward.sqlite3"
    relative = load_settings({}).resolved_database_url
    assert relative == f"sqlite:///{(Path('instance') / 'homeward.sqlite3').resolve()}"
    assert Path(relative.removeprefix("sqlite:///")).is_absolute()


def test_describe_settings_covers_every_field() -> None:
    rows = describe_settings()
    names = [f.name for f in fields(Settings)]
    assert [variable for variable, _, _ in rows] == [f"HOMEWARD_{n.upper()}" for n in names]
    for variable, default, meaning in rows:
        assert isinstance(default, str), variable
        assert meaning.strip(), f"{variable} has no description"
    by_name = {variable: default for variable, default, _ in rows}
    assert by_name["HOMEWARD_BEAM_SIZE"] == "5"
    assert by_name["HOMEWARD_AUDIO_DIR"] == ""
    assert by_name["HOMEWARD_DATA_DIR"] == "instance"
