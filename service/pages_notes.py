"""The client's pages: record, the timeline, one note (and its card, for live updates)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request

from service import search, sharing
from service.db import db
from service.errors import ApiError
from service.notes import TimelineQuery, list_notes, note_payload, owned_note, parse_tags
from service.page_auth import page_blueprint, signed_in
from service.page_data import PROMPTS, card, day_range, parse_day, tag_label, tags_in_use

bp = page_blueprint("client_pages")
PAGE_SIZE = 20


@bp.get("/record")
@signed_in("client")
def record() -> Any:
    """Show the record button, the reflection prompts and the queue of unsent recordings."""
    settings = current_app.config["HOMEWARD"]
    return render_template(
        "record.html", prompts=list(PROMPTS.values()), max_upload_mb=settings.max_upload_mb
    )


def _filters() -> dict[str, Any]:
    args = request.args
    return {
        "q": (args.get("q") or "").strip(),
        "tag": (args.get("tag") or "").strip(),
        "since": parse_day(args.get("since")),
        "until": parse_day(args.get("until")),
    }


def _query(filters: dict[str, Any]) -> TimelineQuery:
    since, until = day_range(filters["since"], filters["until"])
    return TimelineQuery(
        tag=parse_tags(filters["tag"])[0] if filters["tag"] else None,
        since=since,
        until=until,
        cursor=request.args.get("cursor") or None,
        limit=PAGE_SIZE,
        q=search.parse_query(filters["q"]) if filters["q"] else None,
    )


@bp.get("/timeline")
@signed_in("client")
def timeline() -> Any:
    """Show the notes as cards, newest first, filtered by words, tag and dates."""
    filters = _filters()
    error = None
    try:
        query = _query(filters)
        notes, next_cursor = list_notes(db.session, g.account.id, query)
    except ApiError as exc:
        error = exc.message[:1].upper() + exc.message[1:] + "."
        query, notes, next_cursor = TimelineQuery(limit=PAGE_SIZE), [], None
    cards = []
    for note in notes:
        payload = note_payload(note)
        if query.q:
            payload["highlights"] = search.highlights(note, query.q)
        cards.append(card(payload))
    tags = [tag_label(name) for name in tags_in_use(db.session, g.account.id)]
    filtered = any(filters.values())
    more = {k: v for k, v in request.args.items() if k != "cursor"}
    return render_template(
        "timeline.html", cards=cards, filters=filters, tags=tags, error=error,
        filtered=filtered, next_cursor=next_cursor, more=more,
    ), 422 if error else 200  # fmt: skip


@bp.get("/notes/<note_id>/card")
@signed_in("client")
def note_card(note_id: str) -> Any:
    """One timeline card, for the timeline to swap in once a note is transcribed."""
    note = owned_note(db.session, g.account.id, note_id)
    return render_template("_card_page.html", c=card(note_payload(note)))


@bp.get("/notes/<note_id>")
@signed_in("client")
def note(note_id: str) -> Any:
    """Show one note: player beside transcript, editing, sharing, downloads and deletion."""
    found = owned_note(db.session, g.account.id, note_id)
    payload = note_payload(found)
    shares = {s["therapist_id"]: s for s in payload["shared_with"]}
    therapists = [
        {
            "id": link.therapist_id,
            "email": link.therapist.email,
            "share": shares.get(link.therapist_id),
        }
        for link in sharing.links_of(db.session, g.account)
    ]
    return render_template(
        "note.html", note=card(payload), therapists=therapists,
        tags_text=", ".join(t["name"] for t in payload["tags"]),
    )  # fmt: skip
