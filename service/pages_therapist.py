"""The therapist's pages: linked clients, a client's shared notes, one shared note, linking.

A therapist only ever sees what a client shares right now: every page reads the shares afresh,
and every note shown is written to the client's access log, as the API does.
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, render_template, request, url_for

from service import audit, ratelimit, sharing
from service.db import db
from service.errors import ApiError, not_found
from service.notes import note_payload
from service.page_auth import page_blueprint, signed_in
from service.page_data import card
from service.queueing import redis_connection

bp = page_blueprint("therapist_pages")


def client_link(client_id: str) -> Any:
    """The link to this client, or 404 (the same answer for no link as for no client)."""
    link = sharing.linked(db.session, client_id, g.account.id)
    if link is None:
        raise not_found("linked client")
    return link


@bp.get("/clients")
@signed_in("therapist")
def clients() -> Any:
    """List linked clients and the form to link a new one with their code."""
    return render_template("clients.html", links=sharing.links_of(db.session, g.account))


@bp.post("/clients/link")
@signed_in("therapist")
def link() -> Any:
    """Redeem a client's invite code."""
    try:
        ratelimit.hit(redis_connection(), ratelimit.subject_key("invite", g.account.id), 10, 3600)
        made = sharing.redeem_invite(db.session, g.account, request.form.get("code", ""))
    except ApiError as exc:
        message = exc.message[:1].upper() + exc.message[1:] + "."
        page = render_template(
            "clients.html", links=sharing.links_of(db.session, g.account), error=message
        )
        return page, exc.status
    return redirect(url_for("therapist_pages.client", client_id=made.client_id))


@bp.get("/clients/<client_id>")
@signed_in("therapist")
def client(client_id: str) -> Any:
    """The notes this client shares with you now, newest first."""
    link = client_link(client_id)
    rows = sharing.shared_notes(db.session, g.account, client_id)
    for note, _share in rows:
        audit.record(db.session, client_id, g.account, "note_read", note.id)
    db.session.commit()
    cards = [card(note_payload(note, for_owner=False)) for note, _share in rows]
    return render_template("client.html", link=link, cards=cards)


@bp.get("/clients/<client_id>/notes/<note_id>")
@signed_in("therapist")
def client_note(client_id: str, note_id: str) -> Any:
    """One shared note: its transcript, and its recording when the client included it."""
    link = client_link(client_id)
    note, share = sharing.shared_note(db.session, g.account, client_id, note_id)
    audit.record(db.session, client_id, g.account, "note_read", note.id)
    db.session.commit()
    payload = card(note_payload(note, for_owner=False))
    return render_template(
        "client_note.html", link=link, note=payload, include_audio=share.include_audio
    )


@bp.post("/clients/<client_id>/end")
@signed_in("therapist")
def end(client_id: str) -> Any:
    """End the link with this client."""
    sharing.end_link(db.session, g.account, client_link(client_id).id)
    return redirect(url_for("therapist_pages.clients"))
