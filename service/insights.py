"""Patterns across a client's notes: mood over time, tags per week, tools and prompts.

Plain functions over a list of notes, without Flask, so the same numbers are computed for the
client (all their notes) and for a therapist (only the notes shared with them). Days and ISO
weeks are taken in UTC. Every figure comes with the notes it was made from, so a chart can show
where a number came from instead of asking anyone to trust it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from service.models import Note, NoteTag

#: Days either side of a tool use whose moods are compared.
MOOD_WINDOW_DAYS = 3
#: Tool statuses that mean the tool was used; "planned" and a bare mention do not.
USE_STATUSES = ("tried", "helped", "didnt-help")
PROMPTS = ("prompt:stuck-with-me", "prompt:avoided", "prompt:learned")
_IN_CHUNK = 500  # keeps IN (...) lists well under SQLite's bound-parameter limit


def notes_between(
    session: Session, owner_id: str, since: datetime | None, until: datetime | None
) -> list[Note]:
    """The owner's notes recorded in [since, until), oldest first."""
    stmt = select(Note).where(Note.owner_id == owner_id).options(selectinload(Note.tags))
    if since is not None:
        stmt = stmt.where(Note.recorded_at >= since)
    if until is not None:
        stmt = stmt.where(Note.recorded_at < until)
    return list(session.scalars(stmt.order_by(Note.recorded_at, Note.id)))


def within(notes: Iterable[Note], since: datetime | None, until: datetime | None) -> list[Note]:
    """The notes recorded in [since, until), oldest first."""
    kept = [
        n
        for n in notes
        if (since is None or n.recorded_at >= since) and (until is None or n.recorded_at < until)
    ]
    return sorted(kept, key=lambda n: (n.recorded_at, n.id))


def visible_tags(session: Session, notes: Sequence[Note]) -> dict[str, list[NoteTag]]:
    """Each note's tags that the client has not removed, in a few queries instead of one a note."""
    found: dict[str, list[NoteTag]] = defaultdict(list)
    ids = [n.id for n in notes]
    for i in range(0, len(ids), _IN_CHUNK):
        stmt = select(NoteTag).where(
            NoteTag.note_id.in_(ids[i : i + _IN_CHUNK]), NoteTag.removed.is_(False)
        )
        for tag in session.scalars(stmt.order_by(NoteTag.name)):
            found[tag.note_id].append(tag)
    return found


def day_of(note: Note) -> date:
    return note.recorded_at.astimezone(UTC).date()


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _week_start(day: date) -> str:
    return (day - timedelta(days=day.weekday())).isoformat()


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _mean(values: Sequence[int]) -> float | None:
    return round(fmean(values), 2) if values else None


def mood_over_time(notes: Sequence[Note]) -> dict[str, Any]:
    """Every rated note, and the mean mood of each ISO week that has one."""
    points = [
        {
            "note_id": n.id,
            "recorded_at": _iso(n.recorded_at),
            "date": day_of(n).isoformat(),
            "mood": n.mood,
            "mood_source": n.mood_source,
        }
        for n in notes
        if n.mood is not None
    ]
    by_week: dict[str, list[int]] = defaultdict(list)
    starts: dict[str, str] = {}
    for n in notes:
        if n.mood is not None:
            week = iso_week(day_of(n))
            by_week[week].append(n.mood)
            starts[week] = _week_start(day_of(n))
    weekly = [
        {"week": w, "week_start": starts[w], "mean": _mean(m), "count": len(m)}
        for w, m in sorted(by_week.items())
    ]
    return {"points": points, "weekly": weekly}


def tags_per_week(notes: Sequence[Note], tags: dict[str, list[NoteTag]]) -> dict[str, Any]:
    """How many notes carried each visible tag, per ISO week and in all."""
    weeks: dict[str, Counter[str]] = defaultdict(Counter)
    note_counts: Counter[str] = Counter()
    starts: dict[str, str] = {}
    for n in notes:
        week = iso_week(day_of(n))
        starts[week] = _week_start(day_of(n))
        note_counts[week] += 1
        weeks[week].update(t.name for t in tags.get(n.id, []))
    weekly = [
        {
            "week": w,
            "week_start": starts[w],
            "notes": note_counts[w],
            "counts": dict(sorted(weeks[w].items())),
        }
        for w in sorted(note_counts)
    ]
    totals: Counter[str] = sum(weeks.values(), Counter())
    return {"weekly": weekly, "totals": dict(sorted(totals.items()))}


def _neighbours(rated: Sequence[Note], day: date, before: bool) -> list[Note]:
    """Rated notes on the MOOD_WINDOW_DAYS days before (or after) ``day``, not on it.

    The day of the use itself is left out: whether a same-day note came before or after the
    exercise is not known, and it would blur the comparison."""
    span = timedelta(days=MOOD_WINDOW_DAYS)
    if before:
        return [n for n in rated if day - span <= day_of(n) < day]
    return [n for n in rated if day < day_of(n) <= day + span]


def _window(notes: Sequence[Note]) -> dict[str, Any]:
    moods = [n.mood for n in notes if n.mood is not None]
    return {
        "mean": _mean(moods),
        "count": len(moods),
        "moods": [{"note_id": n.id, "date": day_of(n).isoformat(), "mood": n.mood} for n in notes],
    }


def _tool_use(note: Note, status: str, rated: Sequence[Note]) -> dict[str, Any]:
    day = day_of(note)
    return {
        "note_id": note.id,
        "recorded_at": _iso(note.recorded_at),
        "date": day.isoformat(),
        "status": status,
        "mood": note.mood,
        "before": _window(_neighbours(rated, day, before=True)),
        "after": _window(_neighbours(rated, day, before=False)),
    }


def tool_uses(notes: Sequence[Note], tags: dict[str, list[NoteTag]]) -> list[dict[str, Any]]:
    """Each tool used (tried, helped, didn't help): counts by status and mood around each use.

    A tool's ``mood_before`` / ``mood_after`` pool the moods of all its uses' windows, so a note
    near two uses counts for each (the ``events`` list shows every number used)."""
    rated = [n for n in notes if n.mood is not None]
    uses: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in notes:
        for tag in tags.get(n.id, []):
            if tag.name.startswith("tool:") and tag.status in USE_STATUSES:
                uses[tag.name].append(_tool_use(n, tag.status, rated))
    tools = []
    for name, events in sorted(uses.items()):
        before = [m["mood"] for e in events for m in e["before"]["moods"]]
        after = [m["mood"] for e in events for m in e["after"]["moods"]]
        tools.append({
            "tag": name,
            "uses": len(events),
            "by_status": {s: sum(e["status"] == s for e in events) for s in USE_STATUSES},
            "mood_before": {"mean": _mean(before), "count": len(before)},
            "mood_after": {"mean": _mean(after), "count": len(after)},
            "events": events,
        })  # fmt: skip
    return tools


def prompt_answers(
    notes: Sequence[Note], tags: dict[str, list[NoteTag]], title_of: Callable[[Note], str]
) -> dict[str, list[dict[str, Any]]]:
    """The notes that answer each reflection prompt, oldest first."""
    answers: dict[str, list[dict[str, Any]]] = {prompt: [] for prompt in PROMPTS}
    for n in notes:
        for tag in tags.get(n.id, []):
            if tag.name in answers:
                answers[tag.name].append(
                    {"id": n.id, "recorded_at": _iso(n.recorded_at), "title": title_of(n)}
                )
    return answers


def compute(
    session: Session,
    notes: Sequence[Note],
    title_of: Callable[[Note], str],
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """All insights over ``notes`` (already limited to what the reader may see).

    ``title_of`` opens a note's sealed title; it is passed in so this module needs no keys."""
    ordered = within(notes, since, until)
    tags = visible_tags(session, ordered)
    return {
        "since": _iso(since) if since else None,
        "until": _iso(until) if until else None,
        "note_count": len(ordered),
        "mood": mood_over_time(ordered),
        "tags": tags_per_week(ordered, tags),
        "mood_window_days": MOOD_WINDOW_DAYS,
        "tools": tool_uses(ordered, tags),
        "prompts": prompt_answers(ordered, tags, title_of),
    }
