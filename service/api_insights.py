"""Insights over HTTP: the client's own patterns, and a therapist's view of what is shared."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, g, jsonify, request

from service import audit, insights, sharing, vault
from service.auth import login_required
from service.db import db
from service.errors import ApiError
from service.notes import parse_moment

bp = Blueprint("insights", __name__, url_prefix="/api/v1")


def _range() -> tuple[datetime | None, datetime | None]:
    since = parse_moment(request.args.get("since"), "since")
    until = parse_moment(request.args.get("until"), "until")
    if since is not None and until is not None and since >= until:
        raise ApiError(422, "invalid_range", "since must be earlier than until")
    return since, until


@bp.get("/insights")
@login_required("client")
def my_insights() -> Any:
    """Mood over time, tags per week, tools used and prompts answered, over your notes.
    ---
    get:
      summary: Your patterns
      description: >
        Days and ISO weeks are in UTC. Mood around a tool use compares the moods of notes on the
        3 days before with the 3 days after the day of the use, listing every mood used.
      security: [{bearer: []}]
      parameters:
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: until, in: query, schema: {type: string, format: date-time}}
      responses:
        200:
          description: The insights
          content:
            application/json:
              schema:
                type: object
                properties:
                  since: {type: string, format: date-time, nullable: true}
                  until: {type: string, format: date-time, nullable: true}
                  note_count: {type: integer}
                  mood: {type: object}
                  tags: {type: object}
                  mood_window_days: {type: integer}
                  tools: {type: array, items: {type: object}}
                  prompts: {type: object}
        401: {description: Missing or bad token, content: {application/json: {schema: Error}}}
        403: {description: Not a client, content: {application/json: {schema: Error}}}
        422: {description: Bad since or until, content: {application/json: {schema: Error}}}
    """
    since, until = _range()
    notes = insights.notes_between(db.session, g.account.id, since, until)
    return jsonify(insights.compute(db.session, notes, vault.title_of, since, until))


@bp.get("/clients/<client_id>/insights")
@login_required("therapist")
def client_insights(client_id: str) -> Any:
    """The same insights over the notes this client currently shares with you, and no others.
    ---
    get:
      summary: A client's patterns, from their shared notes
      security: [{bearer: []}]
      parameters:
        - {name: client_id, in: path, required: true, schema: {type: string}}
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: until, in: query, schema: {type: string, format: date-time}}
      responses:
        200: {description: The insights, as for GET /api/v1/insights}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a therapist, content: {application/json: {schema: Error}}}
        404: {description: Not a linked client, content: {application/json: {schema: Error}}}
        422: {description: Bad since or until, content: {application/json: {schema: Error}}}
    """
    since, until = _range()
    notes = [note for note, _share in sharing.shared_notes(db.session, g.account, client_id)]
    result = insights.compute(db.session, notes, vault.title_of, since, until)
    # One event for the whole view: it shows moods, tags and titles, never a transcript.
    audit.record(db.session, client_id, g.account, "insights_read")
    db.session.commit()
    return jsonify(result)
