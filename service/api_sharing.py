"""Linking therapists, sharing notes with them, and what a therapist may read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from service import audit, ratelimit, sharing
from service.audio_files import audio_response
from service.auth import login_required
from service.db import db
from service.errors import ApiError, not_found
from service.models import Link
from service.notes import note_payload, owned_note
from service.queueing import redis_connection

bp = Blueprint("sharing", __name__, url_prefix="/api/v1")


def _iso(moment: Any) -> str:
    return str(moment.isoformat().replace("+00:00", "Z"))


def _link_json(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "client_id": link.client_id,
        "therapist_id": link.therapist_id,
        "client_email": link.client.email,
        "therapist_email": link.therapist.email,
        "created_at": _iso(link.created_at),
    }


@bp.post("/invites")
@login_required("client")
def create_invite() -> Any:
    """Make a short-lived, single-use code to give your therapist.
    ---
    post:
      summary: Create an invite code
      responses:
        201: {description: The code and when it expires}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a client, content: {application/json: {schema: Error}}}
    """
    ttl = timedelta(hours=current_app.config["HOMEWARD"].invite_ttl_hours)
    code, invite = sharing.create_invite(db.session, g.account, ttl)
    return jsonify({"code": code, "expires_at": _iso(invite.expires_at)}), 201


@bp.post("/links")
@login_required("therapist")
def redeem() -> Any:
    """Redeem a client's invite code to link your accounts.
    ---
    post:
      summary: Link to a client with their code
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [code], properties: {code: {type: string}}}
      responses:
        201: {description: The link}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a therapist, content: {application/json: {schema: Error}}}
        404:
          description: Unknown, used or expired code
          content: {application/json: {schema: Error}}
        429: {description: Too many attempts, content: {application/json: {schema: Error}}}
    """
    body = request.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str):
        raise ApiError(422, "missing_field", "send a JSON object with the code")
    ratelimit.hit(redis_connection(), ratelimit.subject_key("invite", g.account.id), 10, 3600)
    link = sharing.redeem_invite(db.session, g.account, code)
    return jsonify(_link_json(link)), 201


@bp.get("/links")
@login_required()
def links() -> Any:
    """List your links (a client's therapists, or a therapist's clients).
    ---
    get:
      summary: Your links
      responses:
        200: {description: The links}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
    """
    return jsonify({"links": [_link_json(x) for x in sharing.links_of(db.session, g.account)]})


@bp.delete("/links/<link_id>")
@login_required()
def end_link(link_id: str) -> Any:
    """End a link; every note shared under it is unshared at once.
    ---
    delete:
      summary: End a link
      parameters: [{name: link_id, in: path, required: true, schema: {type: string}}]
      responses:
        204: {description: Ended}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        404: {description: No such link, content: {application/json: {schema: Error}}}
    """
    sharing.end_link(db.session, g.account, link_id)
    return Response(status=204)


@bp.put("/notes/<note_id>/shares/<therapist_id>")
@login_required("client")
def share(note_id: str, therapist_id: str) -> Any:
    """Share one note with one linked therapist (audio only if you say so).
    ---
    put:
      summary: Share a note
      parameters:
        - {name: note_id, in: path, required: true, schema: {type: string}}
        - {name: therapist_id, in: path, required: true, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {include_audio: {type: boolean, default: false}}}
      responses:
        200: {description: The note with its shares, content: {application/json: {schema: Note}}}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        404:
          description: No such note or linked therapist
          content: {application/json: {schema: Error}}
        422: {description: Bad body, content: {application/json: {schema: Error}}}
    """
    note = owned_note(db.session, g.account.id, note_id)
    body = request.get_json(silent=True) if request.data else {}
    include_audio = body.get("include_audio", False) if isinstance(body, dict) else None
    if not isinstance(include_audio, bool):
        raise ApiError(422, "invalid_body", 'send {"include_audio": true or false}, or nothing')
    sharing.share_note(db.session, g.account, note, therapist_id, include_audio)
    return jsonify(note_payload(note))


@bp.delete("/notes/<note_id>/shares/<therapist_id>")
@login_required("client")
def revoke(note_id: str, therapist_id: str) -> Any:
    """Stop sharing a note with a therapist; it disappears from their next request.
    ---
    delete:
      summary: Revoke a share
      parameters:
        - {name: note_id, in: path, required: true, schema: {type: string}}
        - {name: therapist_id, in: path, required: true, schema: {type: string}}
      responses:
        204: {description: Revoked}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        404: {description: No such note or share, content: {application/json: {schema: Error}}}
    """
    note = owned_note(db.session, g.account.id, note_id)
    sharing.revoke_share(db.session, g.account, note, therapist_id)
    return Response(status=204)


@bp.get("/clients")
@login_required("therapist")
def clients() -> Any:
    """Your linked clients.
    ---
    get:
      summary: Linked clients
      responses:
        200: {description: The clients}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a therapist, content: {application/json: {schema: Error}}}
    """
    return jsonify(
        {
            "clients": [
                {
                    "id": link.client_id,
                    "email": link.client.email,
                    "link_id": link.id,
                    "linked_at": _iso(link.created_at),
                }
                for link in sharing.links_of(db.session, g.account)
            ]
        }
    )


def _therapist_view(note: Any, share: Any) -> dict[str, Any]:
    payload = note_payload(note, for_owner=False)
    payload["audio_shared"] = share.include_audio
    return payload


@bp.get("/clients/<client_id>/notes")
@login_required("therapist")
def client_notes(client_id: str) -> Any:
    """The notes this client currently shares with you, and nothing else.
    ---
    get:
      summary: A client's shared notes
      parameters: [{name: client_id, in: path, required: true, schema: {type: string}}]
      responses:
        200: {description: The shared notes}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a therapist, content: {application/json: {schema: Error}}}
        404: {description: Not a linked client, content: {application/json: {schema: Error}}}
    """
    rows = sharing.shared_notes(db.session, g.account, client_id)
    for note, _share in rows:
        audit.record(db.session, client_id, g.account, "note_read", note.id)
    db.session.commit()
    return jsonify({"notes": [_therapist_view(n, s) for n, s in rows]})


@bp.get("/clients/<client_id>/notes/<note_id>")
@login_required("therapist")
def client_note(client_id: str, note_id: str) -> Any:
    """One note the client shares with you.
    ---
    get:
      summary: A shared note
      parameters:
        - {name: client_id, in: path, required: true, schema: {type: string}}
        - {name: note_id, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: The note}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a therapist, content: {application/json: {schema: Error}}}
        404: {description: Not shared with you, content: {application/json: {schema: Error}}}
    """
    note, share = sharing.shared_note(db.session, g.account, client_id, note_id)
    audit.record(db.session, client_id, g.account, "note_read", note.id)
    db.session.commit()
    return jsonify(_therapist_view(note, share))


@bp.get("/clients/<client_id>/notes/<note_id>/audio")
@login_required("therapist")
def client_note_audio(client_id: str, note_id: str) -> Any:
    """The audio of a shared note, when the client included it.
    ---
    get:
      summary: A shared note's audio
      parameters:
        - {name: client_id, in: path, required: true, schema: {type: string}}
        - {name: note_id, in: path, required: true, schema: {type: string}}
      responses:
        200: {description: The audio}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a therapist, content: {application/json: {schema: Error}}}
        404:
          description: Not shared with you, or shared without audio
          content: {application/json: {schema: Error}}
    """
    note, share = sharing.shared_note(db.session, g.account, client_id, note_id)
    if not share.include_audio:
        raise not_found()
    # A player fetches audio in many ranges; one listen is logged once, at its first byte.
    first_part = request.range is None or request.range.ranges[0][0] == 0
    if first_part:
        audit.record(db.session, client_id, g.account, "audio_read", note.id)
        db.session.commit()
    return audio_response(note)
