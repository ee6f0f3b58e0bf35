"""Windows of speech for the batched pipeline, and the speech its first pass left out.

faster-whisper's batched pipeline decodes each 30 s window once, in parallel, with no way back:
where tiny.en ends a window's text early, or skips its first sentence, those words are gone (on
the benchmark's noisy notes it lost whole sentences: 116 words deleted against 21 for the
sequential decoder, docs/performance.md). So Homeward cuts the windows itself, from the voice
activity detector's speech, compares what each window's segments cover with the speech in it,
and decodes the stretches of speech no segment covers in a second, much smaller batched pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Whisper's window: a batched pass decodes at most this much audio per window.
WINDOW_S = 30.0
#: Speech left uncovered for at least this long is decoded again (a short phrase is a second).
MIN_GAP_S = 1.0
#: Segment times are good to a few tenths of a second; closer than this counts as covered.
COVER_TOLERANCE_S = 0.3
#: Uncovered stretches closer than this are one gap.
JOIN_S = 0.5
#: A gap is decoded with this much audio either side, so its first and last words are whole.
GAP_PAD_S = 0.3
#: The grid on which coverage is checked.
STEP_S = 0.1


@dataclass
class Window:
    """A stretch of the note, at most WINDOW_S long, and the speech found in it."""

    start: float
    end: float
    speech: list[tuple[float, float]] = field(default_factory=list)

    def clip(self) -> dict[str, float]:
        """As faster-whisper's ``clip_timestamps`` takes it (seconds)."""
        return {"start": self.start, "end": self.end}


def windows(speech: list[tuple[float, float]], limit_s: float = WINDOW_S) -> list[Window]:
    """Group speech spans (seconds, in order, each at most ``limit_s``) into windows.

    A window is contiguous audio, pauses included, so Whisper hears the speech as it was said
    and its timestamps map straight back onto the note.
    """
    found: list[Window] = []
    for start, end in speech:
        if found and end - found[-1].start <= limit_s:
            found[-1].end = end
            found[-1].speech.append((start, end))
        else:
            found.append(Window(start, end, [(start, end)]))
    return found


def window_of(windows_: list[Window], start: float) -> int:
    """Index of the window a segment starting at ``start`` came from."""
    index = 0
    for i, window in enumerate(windows_):
        if window.start <= start + 0.01:
            index = i
    return index


def uncovered(window: Window, segments: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Stretches of the window's speech, at least MIN_GAP_S long, that no segment covers."""
    gaps: list[list[float]] = []
    for start, end in window.speech:
        steps = max(1, round((end - start) / STEP_S))
        for k in range(steps):
            moment = start + k * STEP_S
            covered = any(
                s - COVER_TOLERANCE_S <= moment <= e + COVER_TOLERANCE_S for s, e in segments
            )
            if covered:
                continue
            if gaps and moment - gaps[-1][1] <= JOIN_S:
                gaps[-1][1] = moment + STEP_S
            else:
                gaps.append([moment, moment + STEP_S])
    return [(s, e) for s, e in gaps if e - s >= MIN_GAP_S]


def gap_clips(gaps: list[tuple[float, float]], duration_s: float) -> list[dict[str, float]]:
    """The gaps, padded and clamped to the note, as ``clip_timestamps`` for a second pass."""
    clips = []
    for start, end in gaps:
        start = max(0.0, start - GAP_PAD_S)
        clips.append({"start": start, "end": min(duration_s, end + GAP_PAD_S, start + WINDOW_S)})
    return clips
