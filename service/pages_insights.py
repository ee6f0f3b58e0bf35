"""Patterns as pages: the client's over all their notes, a therapist's over what is shared."""

from __future__ import annotations

from typing import Any

from flask import g, render_template

from service import audit, charts, insights, sharing, vault
from service.db import db
from service.page_auth import page_blueprint, signed_in
from service.page_data import PROMPTS, TOOL_STATUS_WORDS, tag_label

bp = page_blueprint("insight_pages")


def _view(result: dict[str, Any]) -> dict[str, Any]:
    """Charts and lists for the template, from what ``insights.compute`` returns."""
    trends = charts.tag_trends(result["tags"])
    if trends:
        for row in trends["rows"]:
            row["label"] = tag_label(row["name"])
    tools = [
        {**tool, "label": tag_label(tool["tag"])}
        for tool in sorted(result["tools"], key=lambda t: (-t["uses"], t["tag"]))
    ]
    prompts = [
        {"question": PROMPTS[name], "notes": list(reversed(notes))}
        for name, notes in result["prompts"].items()
        if name in PROMPTS
    ]
    return {
        "note_count": result["note_count"],
        # Drawn twice, so that the axis labels stay readable on a phone and on a desk.
        "mood": charts.mood_chart(result["mood"], charts.Frame(width=300, height=190)),
        "mood_wide": charts.mood_chart(result["mood"], charts.Frame(width=640, height=240)),
        "trends": trends,
        "tools": tools,
        "status_words": TOOL_STATUS_WORDS,
        "prompts": prompts,
        "window_days": result["mood_window_days"],
    }


@bp.get("/insights")
@signed_in("client")
def mine() -> Any:
    """Mood over time, tag trends and the tools tried, over all of the client's notes."""
    notes = insights.notes_between(db.session, g.account.id, None, None)
    result = insights.compute(db.session, notes, vault.title_of)
    return render_template("insights.html", view=_view(result), client=None)


@bp.get("/clients/<client_id>/patterns")
@signed_in("therapist")
def client_patterns(client_id: str) -> Any:
    """The same patterns over only the notes this client shares with you now."""
    notes = [note for note, _share in sharing.shared_notes(db.session, g.account, client_id)]
    link = sharing.linked(db.session, client_id, g.account.id)
    result = insights.compute(db.session, notes, vault.title_of)
    audit.record(db.session, client_id, g.account, "insights_read")
    db.session.commit()
    return render_template("insights.html", view=_view(result), client=link)
