"""The transcription job: note id in, tagged transcript on the timeline out.

Jobs are idempotent: a note already transcribed is left alone, and a rerun replaces rather than
adds segments and tags. The payload is the note id only; everything else is read from the
database, which is the truth about a note.
"""

from __future__ import annotations

import logging
import time

from rq import get_current_job
from sqlalchemy.exc import InvalidRequestError

from service import vault
from service.crypto import DecryptionError
from service.db import db
from service.models import Note
from service.storage import fd_path
from service.transcripts import TimedSpan, store_transcription
from workers.audio import DecodedAudio, DecodeError, decode
from workers.runtime import Runtime, current_runtime
from workers.speech import contains_voice

log = logging.getLogger(__name__)

#: Progress is written at most this often, so a long note does not hammer the database.
PROGRESS_INTERVAL_S = 0.5
#: Progress once the audio is decoded, and once speech is found in it; the model's own progress
#: fills the rest. The batched pipeline decodes a note of up to two minutes in one batch, so
#: without these steps the client would see nothing move between queued and done.
DECODED, SPEECH_FOUND = 0.05, 0.1
#: Audio quieter than this throughout holds no speech; Whisper would only invent words.
SILENCE_DBFS = -50.0


class ProgressReporter:
    """Writes the fraction transcribed to the note, throttled, never going backwards.

    Called with the model's fraction of the audio (0 to 1), which is mapped onto what is left
    after ``start``; ``step`` writes a stage of the job's own at once.
    """

    def __init__(self, note: Note, start: float = 0.0) -> None:
        self.note, self.start, self.last_write = note, start, 0.0

    def __call__(self, fraction: float) -> None:
        self._write(self.start + (1.0 - self.start) * fraction, throttled=True)

    def step(self, fraction: float) -> None:
        """A stage of the job reached (decoded, speech found): written without waiting."""
        self.start = max(self.start, fraction)
        self._write(fraction, throttled=False)

    def _write(self, fraction: float, throttled: bool) -> None:
        fraction = max(self.note.progress, min(fraction, 0.99))
        now = time.monotonic()
        due = not throttled or now - self.last_write >= PROGRESS_INTERVAL_S
        if due and fraction > self.note.progress:
            self.note.progress = fraction
            db.session.commit()
            self.last_write = now


def has_speech(audio: DecodedAudio) -> bool:
    """True when the note holds speech; Whisper invents words for silence and noise.

    Silence is found cheaply first (pydub's peak level, then half-second stretches' loudness);
    then Silero voice activity detection (shipped with faster-whisper, about 1% of real time
    here) tells speech from hiss, hum and road noise.
    """
    if audio.duration_s == 0 or audio.segment.max_dBFS < SILENCE_DBFS:
        return False
    # Silero drifts into false alarms over long noise when run on a whole note: short windows
    # (workers/speech.py), and the engines drop the segments Whisper invents in what remains.
    return audio.loud_somewhere(SILENCE_DBFS) and contains_voice(audio.samples)


def _fail(note: Note, code: str, message: str) -> None:
    note.status, note.error_code, note.error_message = "failed", code, message
    db.session.commit()
    log.warning("note %s failed: %s", note.id, code)


_in_hand: dict[str, str | None] = {"note": None}


def current_note() -> str | None:
    """The note this worker process is transcribing right now, if any."""
    return _in_hand["note"]


def transcribe_note(note_id: str) -> str:
    """Transcribe one note and put it on the timeline; returns what happened, in a word."""
    _in_hand["note"] = note_id
    try:
        return _transcribe(note_id)
    finally:
        _in_hand["note"] = None


def _transcribe(note_id: str) -> str:
    runtime = current_runtime()
    with runtime.app.app_context():
        note = db.session.get(Note, note_id)
        if note is None:
            log.info("note %s no longer exists; nothing to do", note_id)
            return "gone"
        if note.status == "transcribed":
            return "already-transcribed"
        note.status, note.progress = "processing", 0.0
        note.error_code = note.error_message = None
        note.attempts += 1
        db.session.commit()
        try:
            return _run(runtime, note)
        except Exception:
            _after_crash(note)
            raise


def _run(runtime: Runtime, note: Note) -> str:
    started = time.perf_counter()
    try:
        audio = _decode_sealed(runtime, note)
    except DecryptionError as exc:
        # Not retryable: the file on disk is not this note's (moved, swapped or altered).
        _fail(
            note,
            "audio_integrity",
            f"{exc}; ask your Homeward administrator to restore it from a backup",
        )
        return "failed"
    except DecodeError as exc:
        _fail(note, "undecodable_audio", f"{exc}. Record the note again or upload another file.")
        return "failed"
    decoded = model_started = model_ended = time.perf_counter()
    progress = ProgressReporter(note)
    progress.step(DECODED)
    if has_speech(audio):
        progress.step(SPEECH_FOUND)
        model_started = time.perf_counter()
        result = runtime.engine.transcribe(audio.samples, progress)
        model_ended = time.perf_counter()
        spans = [TimedSpan(s.start, s.end, s.text) for s in result.segments]
        text, language, no_speech = result.text, result.language, not result.text.strip()
    else:
        spans, text, language, no_speech = [], "", "en", True
    try:
        db.session.refresh(note)  # the client may have deleted or edited it meanwhile
    except InvalidRequestError:
        log.info("note %s was deleted while it was transcribed", note.id)
        return "gone"
    store_transcription(note, text, language, runtime.engine.name, runtime.engine.model_name, spans)
    note.no_speech, note.duration_s = no_speech, audio.duration_s
    note.status, note.progress = "transcribed", 1.0
    db.session.commit()
    ended = time.perf_counter()
    # benchmarks/pipeline.py reads this line: overhead is total less model.
    log.info(
        "note %s transcribed: %.1f s audio, decode %.3f s, model %.3f s, store %.3f s, "
        "total %.3f s", note.id, audio.duration_s, decoded - started,
        model_ended - model_started, ended - model_ended, ended - started,
    )  # fmt: skip
    return "transcribed"


def _decode_sealed(runtime: Runtime, note: Note) -> DecodedAudio:
    """Decrypt the note's audio into memory and decode it from there; no plaintext on disk."""
    settings = runtime.settings
    keys = vault.keys_for(note.owner_id)
    with runtime.audio_store.open_plain(note.audio_path, keys, note.id) as plain:
        return decode(
            fd_path(plain),
            note.audio_container,
            timeout_s=settings.decode_timeout_s,
            memory_mb=settings.decode_memory_mb,
            pass_fds=(plain.fileno(),),
        )


def _after_crash(note: Note) -> None:
    """Record an unexpected failure: queued again while retries remain, else failed."""
    db.session.rollback()
    job = get_current_job()
    retries_left = job.retries_left if job is not None and job.retries_left else 0
    try:
        note = db.session.get(Note, note.id) or note
        if retries_left > 0:
            note.status = "queued"
            db.session.commit()
        else:
            _fail(
                note,
                "transcription_failed",
                "transcription failed on the server; retry the note, and if it fails again "
                "ask your Homeward administrator to look at the worker's log",
            )
    except Exception:  # noqa: BLE001 - the note may have been deleted meanwhile
        db.session.rollback()
        log.exception("could not record the failure of note %s", note.id)
