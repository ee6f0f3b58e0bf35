"""Full-text search over the blind index: words, filters, pages, keys, highlights, privacy."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from service import search, vault
from service.db import db
from service.models import Note
from tests.reflections import add_note

Headers = dict[str, str]
Upload = Callable[..., Any]


def found(client: FlaskClient, headers: Headers, query: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/notes?{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    notes: list[dict[str, Any]] = answer.json["notes"]
    return notes


def ids(client: FlaskClient, headers: Headers, query: str) -> list[str]:
    return [n["id"] for n in found(client, headers, query)]


def marked(highlight: dict[str, Any]) -> list[str]:
    return [highlight["text"][s:e] for s, e in highlight["matches"]]


@pytest.fixture
def three(app: Flask, sign_up: Callable[..., Headers], upload: Upload) -> tuple[Headers, dict]:
    headers = sign_up()
    notes = {
        "car": add_note(
            app, upload, headers,
            "I tried the breathing exercise in the car park and it helped.",
            title="Drive home", recorded_at="2026-11-01T18:00:00Z", tags="tool:breathing",
        ),
        "sister": add_note(
            app, upload, headers, "We talked about my sister and the holidays.",
            title="Sister", recorded_at="2026-11-02T18:00:00Z",
        ),
        "exam": add_note(
            app, upload, headers, "My breathing felt shallow during the exam.",
            recorded_at="2026-11-03T18:00:00Z",
        ),
    }  # fmt: skip
    return headers, notes


def test_finds_words_in_transcripts_and_titles_and_needs_all_of_them(
    client: FlaskClient, three: tuple[Headers, dict[str, str]]
) -> None:
    headers, notes = three
    assert ids(client, headers, "q=breathing") == [notes["exam"], notes["car"]]
    assert ids(client, headers, "q=sister") == [notes["sister"]]
    assert ids(client, headers, "q=drive") == [notes["car"]]  # in the title only
    assert ids(client, headers, "q=breathing+helped") == [notes["car"]]
    assert ids(client, headers, "q=breathing%20sister") == []
    assert ids(client, headers, "q=unicorn") == []
    # Without q the timeline is unchanged and carries no highlights.
    timeline = found(client, headers, "")
    assert len(timeline) == 3 and all("highlights" not in n for n in timeline)
    title_hit = found(client, headers, "q=drive")[0]["highlights"]
    assert [(h["field"], marked(h)) for h in title_hit] == [("title", ["Drive"])]


def test_search_combines_with_filters_and_pages(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    days = [f"2026-10-{d:02d}T09:00:00Z" for d in range(1, 8)]
    made = {}
    for i, day in enumerate(days):
        words = "the lighthouse was bright" if i % 2 == 0 else "the harbour was quiet"
        made[day] = add_note(
            app, upload, headers, f"Day {i}: {words}.", recorded_at=day,
            tags="walk" if i in (0, 4) else "",
        )  # fmt: skip
    lit = [made[d] for d in reversed(days[::2])]  # days 6, 4, 2, 0, newest first
    assert ids(client, headers, "q=lighthouse") == lit
    assert ids(client, headers, "q=lighthouse&tag=walk") == [made[days[4]], made[days[0]]]
    window = "since=2026-10-02T00:00:00Z&until=2026-10-06T00:00:00Z"
    assert ids(client, headers, f"q=lighthouse&{window}") == [made[days[4]], made[days[2]]]
    assert ids(client, headers, "q=lighthouse&status=failed") == []
    queued = add_note(app, upload, headers, None, title="lighthouse plans")
    assert ids(client, headers, "q=lighthouse&status=queued") == [queued]
    pages, cursor = [], ""
    while True:
        page = client.get(f"/api/v1/notes?q=lighthouse&status=transcribed&limit=2{cursor}",
                          headers=headers).json  # fmt: skip
        pages.append([n["id"] for n in page["notes"]])
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert pages == [lit[:2], lit[2:]]


def test_tokens_are_keyed_per_client(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    alice, bob = sign_up(), sign_up()
    said = "The orchestra rehearsal made me anxious."
    mine = add_note(app, upload, alice, said)
    theirs = add_note(app, upload, bob, said)
    assert ids(client, alice, "q=orchestra") == [mine]
    assert ids(client, bob, "q=orchestra+rehearsal") == [theirs]
    with app.app_context():
        terms = {n.id: set(n.search_terms.split()) for n in db.session.scalars(select(Note))}
        assert terms[mine] and terms[theirs] and not terms[mine] & terms[theirs]
        # Even with the owner filter taken away, Alice's tokens do not reach Bob's note.
        owner = db.session.get(Note, mine).owner_id
        anyone = select(Note.id).where(search.matches(db.session, owner, "orchestra"))
        assert list(db.session.scalars(anyone)) == [mine]


def test_highlights_mark_the_matched_words(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    said = (
        "Today was long. On the way home I kept replaying the moment when my teacher said my "
        "essay about the river was the best in the class and everybody turned to look at me. "
        "Then at dinner my brother asked about the River trip again!"
    )
    add_note(app, upload, headers, said)
    note = found(client, headers, "q=river")[0]
    transcript = note["transcript"]["text"]
    passages = note["highlights"]
    assert [h["field"] for h in passages] == ["transcript", "transcript"]
    for h in passages:
        assert transcript[h["start"] : h["start"] + len(h["text"])] == h["text"]
        assert "<" not in h["text"]
    first, second = passages
    assert marked(first) == ["river"] and marked(second) == ["River"]
    assert first["text"] == "said my essay about the river was the best in the class"
    assert second["text"] == "Then at dinner my brother asked about the River trip again!"
    both = found(client, headers, "q=teacher+essay")[0]["highlights"]
    assert len(both) == 1 and marked(both[0]) == ["teacher", "essay"]  # one window, two hits


def test_search_ignores_case_and_accents(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    accented = add_note(app, upload, headers, "We met at the CAFÉ near Zoë's school.")
    plain = add_note(app, upload, headers, "The cafe was closed.", title="Naïve plans")
    assert set(ids(client, headers, "q=Caf%C3%A9")) == {accented, plain}
    assert set(ids(client, headers, "q=cafe")) == {accented, plain}
    assert ids(client, headers, "q=zoes") == [accented]
    assert ids(client, headers, "q=NAIVE") == [plain]
    hit = {n["id"]: n["highlights"] for n in found(client, headers, "q=cafe")}
    assert marked(hit[accented][0]) == ["CAFÉ"]
    assert marked(hit[plain][0]) == ["cafe"]
    combining = "Cafe\u0301 again"  # decomposed é: offsets still land on whole characters
    again = add_note(app, upload, headers, combining)
    assert marked(next(n for n in found(client, headers, "q=cafe") if n["id"] == again)[
        "highlights"][0]) == ["Cafe\u0301"]  # fmt: skip


def test_edited_transcripts_and_titles_are_reindexed(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    note_id = add_note(app, upload, headers, "We talked about the lighthouse.", title="Coast")
    url = f"/api/v1/notes/{note_id}"
    assert (
        client.patch(
            url, headers=headers, json={"transcript": "We talked about the harbour."}
        ).status_code
        == 200
    )
    assert ids(client, headers, "q=lighthouse") == []
    assert ids(client, headers, "q=harbour") == [note_id]
    assert client.patch(url, headers=headers, json={"title": "Seaside"}).status_code == 200
    assert ids(client, headers, "q=coast") == []
    assert ids(client, headers, "q=seaside+harbour") == [note_id]


def test_deleted_notes_vanish_from_search_and_from_the_index(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    gone = add_note(app, upload, headers, "The marmalade sandwich again.")
    kept = add_note(app, upload, headers, "Marmalade on toast.")
    with app.app_context():
        owner = db.session.get(Note, gone).owner_id
    assert client.delete(f"/api/v1/notes/{gone}", headers=headers).status_code == 204
    assert ids(client, headers, "q=marmalade") == [kept]
    assert ids(client, headers, "q=sandwich") == []
    with app.app_context():
        everyone = select(Note.id).where(search.matches(db.session, owner, "sandwich"))
        assert list(db.session.scalars(everyone)) == []
        if db.engine.dialect.name == "sqlite":
            token = vault.keys_for(owner).blind("sandwich")
            left = db.session.execute(
                text("SELECT count(*) FROM notes_fts WHERE notes_fts MATCH :q"), {"q": f'"{token}"'}
            ).scalar()
            assert left == 0


def test_the_index_holds_no_plain_words(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    said = "Grandma's garden smelled of lavender and rosemary, like every summer."
    note_id = add_note(app, upload, headers, said, title="Lavender memories")
    assert ids(client, headers, "q=rosemary+lavender") == [note_id]
    with app.app_context():
        terms = db.session.get(Note, note_id).search_terms
        owner = db.session.get(Note, note_id).owner_id
        words = set(vault.normalise_words(f"Lavender memories {said}"))
        stored = terms.split()
        assert len(stored) == len(words)
        assert all(re.fullmatch(r"[0-9a-f]{16}", token) for token in stored)
        assert set(stored) == {vault.keys_for(owner).blind(w) for w in words}
        for word in words:
            assert word not in terms.lower()


@pytest.mark.parametrize(
    "query",
    ["q=", "q=%20%20", "q=%3F%21...", "q=" + "word+" * 60, "q=" + "+".join("abcdefghijklm")],
)
def test_a_query_without_words_is_refused(
    client: FlaskClient, sign_up: Callable[..., Headers], query: str
) -> None:
    answer = client.get(f"/api/v1/notes?{query}", headers=sign_up())
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "invalid_q"
    assert "q " in answer.json["error"]["message"]


def test_the_database_full_text_index_serves_the_search(
    app: Flask, sign_up: Callable[..., Headers], upload: Upload
) -> None:
    headers = sign_up()
    note_id = add_note(app, upload, headers, "An index for this.")
    with app.app_context():
        owner = db.session.get(Note, note_id).owner_id
        stmt = select(Note.id).where(search.matches(db.session, owner, "index this"))
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = " ".join(r[0] for r in db.session.execute(text(f"EXPLAIN {sql}")))
            assert "ix_notes_search" in plan
        else:
            plan = " ".join(
                str(r[-1]) for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            )
            assert "VIRTUAL TABLE INDEX" in plan
        assert list(db.session.scalars(stmt)) == [note_id]
