"""Is there a voice in this note? Whisper invents words on noise, hum and room tone.

Measured with the bundled tiny.en: eight seconds of pink or brown noise come back as "You" and a
60 Hz hum as ". . . .", with Whisper's no-speech probability near 0.9 but an average
log-probability of -0.9, just above the -1.0 under which Whisper itself drops a window. Two
checks keep such words out of transcripts:

* before transcribing, Silero's voice activity detector (shipped with faster-whisper) must find a
  voice somewhere in the note. It finds none in noise or hum and all of real, synthetic, noisy and
  very quiet (-36 dBFS) speech. Over long stationary noise it drifts into false alarms, so it is
  run on short windows, and its false alarms are caught by the second check;
* each segment Whisper returns is dropped when it holds no letters or digits, or when Whisper
  judged its window as probably silent and was unsure of the words or looped (``is_invented``).
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16_000
#: Voice probability over which a frame counts as speech. Below Silero's default of 0.5, so quiet
#: or distant speech is never taken for silence: a lost note is worse than a wasted transcription.
THRESHOLD = 0.35
#: Speech shorter than this is a click or a breath, not words.
MIN_SPEECH_MS = 250
#: The detector's state is reset every window: over long noise it drifts towards "speech".
WINDOW_S = 10
#: Whisper's no-speech probability above which an unsure segment is taken as invented ...
NO_SPEECH_PROB = 0.6
#: ... when its average log-probability is under this (invented "You": -0.9 to -1.3; real speech
#: in these tests: -0.3 to -0.4) ...
UNSURE_LOGPROB = -0.7
#: ... or its text compresses more than this (Whisper's own threshold for a repetition loop).
LOOPING_COMPRESSION = 2.4


def contains_voice(samples: np.ndarray) -> bool:
    """True when some stretch of the 16 kHz mono samples holds a human voice."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=THRESHOLD, min_speech_duration_ms=MIN_SPEECH_MS)
    step = WINDOW_S * SAMPLE_RATE
    for start in range(0, len(samples), step):
        window = np.ascontiguousarray(samples[start : start + step], dtype=np.float32)
        if get_speech_timestamps(window, options):
            return True
    return False


def is_invented(
    text: str,
    no_speech_prob: float | None,
    avg_logprob: float | None,
    compression_ratio: float | None = None,
) -> bool:
    """True for a segment Whisper most likely made up in what it judged silence.

    That is a segment with no letters or digits, or one in a window Whisper took for silence
    whose words it was unsure of, or which loops ("see you in the next video" thirty times: the
    batched pipeline has no temperature fallback to break such loops).
    """
    if not any(ch.isalnum() for ch in text):
        return True
    if no_speech_prob is None or no_speech_prob <= NO_SPEECH_PROB:
        return False  # Whisper heard speech here (or did not say): keep the words
    unsure = avg_logprob is not None and avg_logprob < UNSURE_LOGPROB
    looping = compression_ratio is not None and compression_ratio > LOOPING_COMPRESSION
    return unsure or looping
