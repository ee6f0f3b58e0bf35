"""The client's sharing page: invite a therapist, see and end links, read the access log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, g, redirect, render_template, url_for

from service import audit, sharing
from service.db import db
from service.page_auth import page_blueprint, signed_in

bp = page_blueprint("sharing_pages")

#: How the access log names each action, for a person rather than a program.
ACTION_WORDS = {
    "sign_in": "signed in",
    "sign_in_failed": "a sign-in failed",
    "sign_out": "signed out",
    "password_changed": "changed the password",
    "token_created": "created an API token",
    "token_revoked": "revoked an API token",
    "invite_created": "created an invite code",
    "link_created": "linked with you",
    "link_ended": "ended a link",
    "note_shared": "shared a note",
    "share_revoked": "stopped sharing a note",
    "note_read": "read a shared note",
    "audio_read": "listened to a shared recording",
    "insights_read": "looked at your patterns",
    "export": "downloaded an export",
}


def _render(code: str | None = None, expires_at: Any = None) -> Any:
    events = audit.events_for(db.session, g.account.id, limit=100)
    for event in events:
        event["words"] = ACTION_WORDS.get(event["action"], event["action"].replace("_", " "))
        event["you"] = event["actor"]["id"] == g.account.id
    return render_template(
        "sharing.html",
        links=sharing.links_of(db.session, g.account),
        events=events,
        code=code,
        expires_at=expires_at,
        invite_hours=current_app.config["HOMEWARD"].invite_ttl_hours,
    )


@bp.get("/sharing")
@signed_in("client")
def overview() -> Any:
    """Show linked therapists, the invite button and the access log."""
    return _render()


@bp.post("/sharing/invites")
@signed_in("client")
def invite() -> Any:
    """Make an invite code and show it once."""
    ttl = timedelta(hours=current_app.config["HOMEWARD"].invite_ttl_hours)
    code, created = sharing.create_invite(db.session, g.account, ttl)
    return _render(code=code, expires_at=created.expires_at)


@bp.post("/sharing/links/<link_id>/end")
@signed_in("client")
def end_link(link_id: str) -> Any:
    """End a link with a therapist; every note shared with them is unshared."""
    sharing.end_link(db.session, g.account, link_id)
    return redirect(url_for("sharing_pages.overview", ended=1))
