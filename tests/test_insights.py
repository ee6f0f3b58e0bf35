"""Insights over a generated ten-week timeline, checked against figures computed here.

The notes are made through the API with transcripts the tagger understands; the test first checks
with service.tagging that each transcript gives the tags and mood it is meant to, then works out
every expected figure on its own (no code shared with service/insights.py).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.tagging import extract_mood, tag_transcript
from tests.reflections import add_note
from tests.test_privacy import link

Headers = dict[str, str]
Upload = Callable[..., Any]
Tags = dict[str, str | None]

TOOL_LINES: list[tuple[str, Tags]] = [
    ("I tried the breathing exercise and it helped.", {"tool:breathing": "helped"}),
    ("I tried the breathing exercise but it didn't help.", {"tool:breathing": "didnt-help"}),
    ("I did the breathing exercise on the bus.", {"tool:breathing": "tried"}),
    ("I tried journaling last night and it helped.", {"tool:journaling": "helped"}),
    ("I went for a run and it really helped.", {"tool:exercise": "helped"}),
    ("I tried grounding and it didn't help.", {"tool:grounding": "didnt-help"}),
    ("I want to try the grounding next time.", {"tool:grounding": "planned"}),
    ("", {}),
]
PROMPT_LINES: list[tuple[str, Tags]] = [
    ("What stuck with me was what she said about my dad.",
     {"prompt:stuck-with-me": None, "people:dad": None}),
    ("I avoided talking about school again.", {"prompt:avoided": None, "theme:resistance": None}),
    ("I learned that I shut down when I feel judged.",
     {"prompt:learned": None, "theme:resistance": None}),
    ("", {}),
]  # fmt: skip
NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
PROMPTS = ("prompt:stuck-with-me", "prompt:avoided", "prompt:learned")
USES = ("tried", "helped", "didnt-help")
WINDOW = 3
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday; ten weeks run into 2027-W01 via 2026-W53


@dataclass
class Made:
    id: str
    at: datetime
    mood: int | None
    source: str | None
    tags: Tags = field(default_factory=dict)
    title: str = ""

    @property
    def day(self) -> date:
        return self.at.date()


def mood_line(mood: int | None) -> str:
    if mood is None:
        return ""
    return f"I'm {'an' if mood == 8 else 'a'} {NUMBERS[mood - 1]} out of ten."


def transcript(tool: int, prompt: int, mood: int | None) -> tuple[str, Tags]:
    """A transcript and the tags it must get; checked against the tagger before use."""
    parts = ["Session is done for this week.", TOOL_LINES[tool][0], PROMPT_LINES[prompt][0]]
    text = " ".join(p for p in [*parts, mood_line(mood)] if p)
    tags = {**TOOL_LINES[tool][1], **PROMPT_LINES[prompt][1]}
    assert {t.name: t.status for t in tag_transcript(text)} == tags, text
    reading = extract_mood(text)
    assert (reading.value if reading else None) == mood, text
    return text, tags


def make(app: Flask, upload: Upload, headers: Headers, at: datetime, rng: random.Random) -> Made:
    tool, prompt = rng.randrange(len(TOOL_LINES)), rng.randrange(len(PROMPT_LINES))
    said = rng.choice([None, *range(1, 11)])
    text, tags = transcript(tool, prompt, said)
    fields = {"recorded_at": at.isoformat(), "title": f"Reflection {rng.randrange(1000)}"}
    mood, source = (said, "transcript" if said else None)
    if rng.random() < 0.15:  # the client's own rating wins over the one in the transcript
        mood, source = rng.randint(1, 10), "client"
        fields["mood"] = str(mood)
    note_id = add_note(app, upload, headers, text, **fields)
    return Made(note_id, at, mood, source, tags, fields["title"])


def timeline(
    app: Flask, client: FlaskClient, upload: Upload, headers: Headers, seed: int = 7
) -> list[Made]:
    """32 notes over ten weeks, plus a few that the client changed by hand."""
    rng = random.Random(seed)
    made = []
    for week in range(10):
        for _ in range(3 + (week in (2, 6))):
            at = START + timedelta(days=week * 7 + rng.randrange(7), hours=rng.randrange(6, 23))
            made.append(make(app, upload, headers, at, rng))
    # 23:30 at UTC-2 on a Sunday is Monday in UTC: it counts for the next ISO week.
    text, tags = transcript(0, 2, 6)
    late = add_note(app, upload, headers, text, recorded_at="2026-11-15T23:30:00-02:00")
    made.append(Made(late, datetime(2026, 11, 16, 1, 30, tzinfo=UTC), 6, "transcript", tags))
    # The client removes an auto tool tag (it must not count) and adds tags of their own.
    text, tags = transcript(1, 0, 3)
    edited = add_note(app, upload, headers, text, recorded_at="2026-11-20T12:00:00Z")
    kept = [*sorted(set(tags) - {"tool:breathing"}), "family", "tool:walking"]
    answer = client.patch(f"/api/v1/notes/{edited}", headers=headers, json={"tags": kept})
    assert answer.status_code == 200
    made.append(Made(edited, datetime(2026, 11, 20, 12, tzinfo=UTC), 3, "transcript",
                     {name: None for name in kept}))  # fmt: skip
    # Not transcribed yet: only the client's mood and tag.
    waiting = add_note(app, upload, headers, None, recorded_at="2026-12-01T08:00:00Z",
                       mood="2", tags="family")  # fmt: skip
    made.append(Made(waiting, datetime(2026, 12, 1, 8, tzinfo=UTC), 2, "client", {"family": None}))
    made.sort(key=lambda m: (m.at, m.id))
    for m in made:  # what the API shows agrees with what was meant
        note = client.get(f"/api/v1/notes/{m.id}", headers=headers).json
        assert {t["name"]: t["status"] for t in note["tags"]} == m.tags
        assert (note["mood"], note["mood_source"]) == (m.mood, m.source)
    return made


# --- expected figures, worked out independently ----------------------------------------------


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def weekly_moods(made: list[Made]) -> dict[str, tuple[float, int]]:
    moods: dict[str, list[int]] = defaultdict(list)
    for m in made:
        if m.mood is not None:
            moods[week_of(m.day)].append(m.mood)
    return {w: (fmean(v), len(v)) for w, v in moods.items()}


def weekly_tags(made: list[Made]) -> dict[str, Counter[str]]:
    weeks: dict[str, Counter[str]] = defaultdict(Counter)
    for m in made:
        weeks[week_of(m.day)].update(list(m.tags))
    return weeks


def around(made: list[Made], day: date, lo: int, hi: int) -> list[Made]:
    return [m for m in made if m.mood is not None and lo <= (m.day - day).days <= hi]


def tool_figures(made: list[Made]) -> dict[str, dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    for m in made:
        for name, status in m.tags.items():
            if not name.startswith("tool:") or status not in USES:
                continue
            tool = tools.setdefault(name, {"by_status": Counter(), "before": [], "after": [],
                                           "events": []})  # fmt: skip
            tool["by_status"][status] += 1
            before, after = around(made, m.day, -WINDOW, -1), around(made, m.day, 1, WINDOW)
            tool["before"] += [b.mood for b in before]
            tool["after"] += [a.mood for a in after]
            tool["events"].append((m.id, status, [b.id for b in before], [a.id for a in after]))
    return tools


def prompt_lists(made: list[Made]) -> dict[str, list[dict[str, Any]]]:
    return {
        p: [{"id": m.id, "recorded_at": stamp(m.at), "title": m.title} for m in made if p in m.tags]
        for p in PROMPTS
    }


def check(result: dict[str, Any], made: list[Made]) -> None:
    """Every figure of ``result`` against the same figure worked out from ``made``."""
    assert result["note_count"] == len(made)
    rated = [m for m in made if m.mood is not None]
    assert [(p["note_id"], p["date"], p["mood"], p["mood_source"])
            for p in result["mood"]["points"]] == [
        (m.id, m.day.isoformat(), m.mood, m.source) for m in rated]  # fmt: skip
    weekly = weekly_moods(made)
    assert [w["week"] for w in result["mood"]["weekly"]] == sorted(weekly)
    for w in result["mood"]["weekly"]:
        assert w["mean"] == pytest.approx(weekly[w["week"]][0], abs=0.005)
        assert w["count"] == weekly[w["week"]][1]
        assert date.fromisoformat(w["week_start"]).weekday() == 0
    tags = weekly_tags(made)
    assert {w["week"]: w["counts"] for w in result["tags"]["weekly"]} == tags
    assert result["tags"]["totals"] == sum(tags.values(), Counter())
    tools = tool_figures(made)
    assert [t["tag"] for t in result["tools"]] == sorted(tools)
    for t in result["tools"]:
        want = tools[t["tag"]]
        assert t["by_status"] == {s: want["by_status"][s] for s in USES}
        assert t["uses"] == sum(want["by_status"].values())
        for side in ("before", "after"):
            got, values = t[f"mood_{side}"], want[side]
            assert got["count"] == len(values)
            assert got["mean"] == (pytest.approx(fmean(values), abs=0.005) if values else None)
        assert [(e["note_id"], e["status"], [x["note_id"] for x in e["before"]["moods"]],
                 [x["note_id"] for x in e["after"]["moods"]]) for e in t["events"]] \
            == want["events"]  # fmt: skip
    assert result["prompts"] == prompt_lists(made)


def test_insights_over_ten_weeks_match_figures_computed_by_hand(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    made = timeline(app, client, upload, headers)
    assert len(made) >= 30 and len({week_of(m.day) for m in made}) >= 10
    answer = client.get("/api/v1/insights", headers=headers)
    assert answer.status_code == 200, answer.json
    result = answer.json
    check(result, made)
    assert result["mood_window_days"] == WINDOW
    # The figures are not trivially empty: the generator hit every kind of thing.
    assert len(result["tools"]) >= 3 and all(result["prompts"].values())
    assert any(t["mood_before"]["count"] and t["mood_after"]["count"] for t in result["tools"])
    assert "tool:walking" not in {t["tag"] for t in result["tools"]}  # no status: not a use
    # A range keeps only the notes recorded in it, and the figures follow.
    since, until = "2026-11-16T00:00:00Z", "2026-12-14T00:00:00Z"
    ranged = client.get(f"/api/v1/insights?since={since}&until={until}", headers=headers).json
    lo, hi = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 12, 14, tzinfo=UTC)
    check(ranged, [m for m in made if lo <= m.at < hi])
    assert (ranged["since"], ranged["until"]) == (since, until)


def test_insights_refuse_a_bad_range_and_other_roles(
    client: FlaskClient, sign_up: Callable[..., Headers]
) -> None:
    me, ther = sign_up(), sign_up(role="therapist")
    empty = client.get("/api/v1/insights", headers=me).json
    assert empty["note_count"] == 0 and empty["tools"] == [] and empty["mood"]["points"] == []
    assert set(empty["prompts"]) == set(PROMPTS)
    for query, code in [
        ("since=soon", "invalid_since"),
        ("since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z", "invalid_range"),
    ]:
        answer = client.get(f"/api/v1/insights?{query}", headers=me)
        assert answer.status_code == 422 and answer.json["error"]["code"] == code
    assert client.get("/api/v1/insights", headers=ther).status_code == 403
    assert client.get("/api/v1/insights").status_code == 401
    me_id = client.get("/api/v1/accounts/me", headers=me).json["id"]
    assert client.get(f"/api/v1/clients/{me_id}/insights", headers=ther).status_code == 404
    assert client.get(f"/api/v1/clients/{me_id}/insights", headers=me).status_code == 403


def test_a_therapist_sees_insights_of_shared_notes_only(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    me, ther = sign_up(), sign_up(role="therapist")
    linked = link(client, me, ther)
    rng = random.Random(11)
    made = [make(app, upload, me, START + timedelta(days=2 * i, hours=9), rng) for i in range(8)]
    shared = made[1::2]
    for m in shared:
        url = f"/api/v1/notes/{m.id}/shares/{linked['therapist_id']}"
        assert client.put(url, headers=me).status_code == 200
    url = f"/api/v1/clients/{linked['client_id']}/insights"
    answer = client.get(url, headers=ther)
    assert answer.status_code == 200, answer.json
    check(answer.json, shared)
    check(client.get("/api/v1/insights", headers=me).json, made)
    revoked = shared[0]
    assert client.delete(f"/api/v1/notes/{revoked.id}/shares/{linked['therapist_id']}",
                         headers=me).status_code == 204  # fmt: skip
    after = client.get(url, headers=ther).json
    check(after, shared[1:])
    assert revoked.id not in str(after)
    events = client.get("/api/v1/access-log", headers=me).json["events"]
    reads = [e for e in events if e["action"] == "insights_read"]
    assert len(reads) == 2 and all(e["actor"]["role"] == "therapist" for e in reads)
    assert all(e["note_id"] is None for e in reads)
