"""What the pages show, shaped from notes and payloads without Flask: cards, labels, marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Note, NoteTag
from service.tag_rules import DESCRIPTIONS

#: How much of a transcript a timeline card shows.
EXCERPT_CHARS = 220
#: The reflection prompts, as the tagger names them and as the record page asks them.
PROMPTS = {
    "prompt:stuck-with-me": "What stuck with me most?",
    "prompt:avoided": "Was there anything I avoided or brushed off?",
    "prompt:learned": "Did I learn something new about myself?",
}
TAG_KINDS = {
    "tool": "tool",
    "prompt": "prompt",
    "theme": "theme",
    "people": "person",
    "body": "body",
}
TOOL_STATUS_WORDS = {
    "planned": "planned",
    "tried": "tried",
    "helped": "helped",
    "didnt-help": "didn't help",
}


@dataclass(frozen=True)
class TagLabel:
    name: str
    kind: str
    text: str
    description: str


def tag_label(name: str) -> TagLabel:
    """``tool:box-breathing`` -> kind "tool", text "box breathing", and what the tag means."""
    prefix, _, rest = name.partition(":")
    if not rest:
        return TagLabel(name, "", name.replace("-", " "), "")
    kind = TAG_KINDS.get(prefix, prefix)
    return TagLabel(name, kind, rest.replace("-", " "), DESCRIPTIONS.get(name, ""))


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """The first words of a transcript, cut at a word, with an ellipsis when cut."""
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def marked(text: str, matches: list[list[int]]) -> list[tuple[str, bool]]:
    """Split ``text`` into (piece, is_match) for a template to wrap matches in <mark>."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(matches):
        if start < at or end > len(text):
            continue
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces


def tags_in_use(session: Session, owner_id: str) -> list[str]:
    """Every tag name on the owner's notes that the client has not removed, A to Z."""
    stmt = (
        select(NoteTag.name)
        .join(Note, Note.id == NoteTag.note_id)
        .where(Note.owner_id == owner_id, NoteTag.removed.is_(False))
        .distinct()
        .order_by(NoteTag.name)
    )
    return list(session.scalars(stmt))


def parse_day(raw: str | None) -> date | None:
    """A date from a date input (YYYY-MM-DD), or None when empty or not a date."""
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[since, until] as whole days: from the start of ``since`` to the end of ``until``."""
    start = datetime.combine(since, time.min, UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None
    return start, end


def card(payload: dict[str, Any]) -> dict[str, Any]:
    """A note payload with what a timeline card needs on top: labels and an excerpt."""
    transcript = payload.get("transcript") or {}
    sources = {"title": payload.get("title") or "", "transcript": transcript.get("text") or ""}
    highlights = [
        {
            **h,
            "pieces": marked(h["text"], h["matches"]),
            "cut_before": h["start"] > 0,
            "cut_after": h["start"] + len(h["text"]) < len(sources.get(h["field"], "")),
        }
        for h in payload.get("highlights", [])
    ]
    return {
        **payload,
        "labels": [tag_label(t["name"]) for t in payload["tags"]],
        "excerpt": excerpt(transcript.get("text")),
        "marked_highlights": highlights,
    }
