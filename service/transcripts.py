"""What happens to a transcript: stored with its segments, edited by the client, tagged."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from service import tagging, vault
from service.models import Note, NoteTag, utcnow


@dataclass(frozen=True)
class TimedSpan:
    start: float
    end: float
    text: str


def store_transcription(
    note: Note,
    text: str,
    language: str,
    engine: str,
    model: str,
    segments: Sequence[TimedSpan],
) -> None:
    """Put a fresh transcription on the note, replacing any earlier one, then tag it."""
    vault.set_transcript(note, text.strip())
    note.transcript_language = language
    note.transcript_engine = engine
    note.transcript_model = model
    note.transcribed_at = utcnow()
    _replace_segments(note, [TimedSpan(s.start, s.end, s.text.strip()) for s in segments])
    apply_auto_tags(note)


def _replace_segments(note: Note, spans: Sequence[TimedSpan]) -> None:
    note.segments.clear()
    for position, span in enumerate(spans):
        note.segments.append(vault.new_segment(note, position, span.start, span.end, span.text))


def realign(old: Sequence[TimedSpan], new_text: str) -> list[TimedSpan]:
    """Spread edited text over the old segments' times, word by word.

    Each new word goes to the segment of the old word it lines up with (difflib on words), so
    fixing a misheard word keeps every sentence at its place in the audio.
    """
    new_words = new_text.split()
    if not old:
        return [TimedSpan(0.0, 0.0, new_text.strip())] if new_words else []
    old_words, owner = [], []
    for index, seg in enumerate(old):
        for word in seg.text.split():
            old_words.append(word.lower())
            owner.append(index)
    assignment = [0] * len(new_words)
    last = 0
    matcher = difflib.SequenceMatcher(a=old_words, b=[w.lower() for w in new_words], autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        for offset, b in enumerate(range(b0, b1)):
            if tag in ("equal", "replace") and a0 + offset < a1:
                last = owner[a0 + offset]
            elif tag != "insert" and a1 > a0:
                last = owner[a1 - 1]
            assignment[b] = last
    grouped: dict[int, list[str]] = {}
    for word, index in zip(new_words, assignment, strict=True):
        grouped.setdefault(index, []).append(word)
    return [TimedSpan(old[i].start, old[i].end, " ".join(grouped[i])) for i in sorted(grouped)]


def edit_transcript(note: Note, new_text: str) -> None:
    """Replace the transcript text with the client's edit and tag it again."""
    old = [TimedSpan(s.start, s.end, vault.segment_text(note, s)) for s in note.segments]
    spans = realign(old, new_text)
    vault.set_transcript(note, new_text.strip())
    _replace_segments(note, spans)
    apply_auto_tags(note)


def apply_auto_tags(note: Note) -> None:
    """Recompute the auto tags and the transcript's mood after the text changed.

    Client tags and tags the client removed are never overridden: re-tagging only adds,
    updates or drops tags that came from an earlier automatic pass.
    """
    text = vault.transcript_of(note) or ""
    found = {tag.name: tag for tag in tagging.tag_transcript(text)}
    for tag in list(note.tags):
        if tag.source == "auto" and not tag.removed and tag.name not in found:
            note.tags.remove(tag)
    existing = {tag.name: tag for tag in note.tags}
    for name, auto in found.items():
        # Offsets only: the words themselves stay inside the encrypted transcript.
        evidence = [{"start": e.start, "end": e.end} for e in auto.evidence]
        tag = existing.get(name)
        if tag is None:
            note.tags.append(
                NoteTag(name=name, source="auto", status=auto.status, evidence=evidence)
            )
        else:
            tag.evidence, tag.status = evidence, auto.status
    if note.mood_source != "client":
        reading = tagging.extract_mood(text)
        note.mood = reading.value if reading else None
        note.mood_source = "transcript" if reading else None
