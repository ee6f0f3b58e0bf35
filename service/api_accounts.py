"""Accounts, sign-in (bearer tokens and web sessions), the access log, export and erasure."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, send_file
from sqlalchemy import select

from service import audit, ratelimit, sessions
from service.account_data import erase_account, export_zip
from service.auth import (
    EmailTaken,
    change_password,
    check_credentials,
    create_account,
    issue_token,
    login_required,
    verify_password,
)
from service.config import Settings
from service.db import db
from service.errors import ApiError, not_found
from service.models import Account, ApiToken, new_id
from service.queueing import redis_connection

bp = Blueprint("accounts", __name__, url_prefix="/api/v1")


def _settings() -> Settings:
    settings: Settings = current_app.config["HOMEWARD"]
    return settings


def _json_body(*required: str) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", f"send a JSON object with {', '.join(required)}")
    missing = [name for name in required if not isinstance(body.get(name), str)]
    if missing:
        raise ApiError(422, "missing_field", f"missing or not text: {', '.join(missing)}")
    return body


def _iso(moment: Any) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _account_json(account: Account) -> dict[str, str]:
    return {"id": account.id, "email": account.email, "role": account.role}


def _limit_sign_in(email: str) -> None:
    settings = _settings()
    connection = redis_connection()
    window = settings.sign_in_window_s
    ratelimit.hit(connection, ratelimit.subject_key("email", email), settings.sign_in_limit, window)
    ratelimit.hit(
        connection,
        ratelimit.subject_key("ip", request.remote_addr or "?"),
        settings.sign_in_limit * 3,
        window,
    )


def verify_sign_in(body: dict[str, Any]) -> Account:
    """Check credentials under the rate limits, logging the attempt in the account's log."""
    _limit_sign_in(body["email"])
    try:
        account = check_credentials(db.session, body["email"], body["password"])
    except ApiError:
        known = db.session.scalar(
            select(Account).where(Account.email == body["email"].strip().lower())
        )
        if known is not None:
            audit.record(db.session, known.id, None, "sign_in_failed")
            db.session.commit()
        raise
    audit.record(db.session, account.id, account, "sign_in")
    return account


@bp.post("/accounts")
def create() -> Any:
    """Create a client or therapist account.
    ---
    post:
      summary: Create an account
      description: An email that already has an account gets the same answer, so that no
        answer tells whether an email is registered; that account is left unchanged.
      security: []
      requestBody: {required: true, content: {application/json: {schema: AccountCreate}}}
      responses:
        201: {description: Created, content: {application/json: {schema: Account}}}
        422: {description: Bad field, content: {application/json: {schema: Error}}}
        429: {description: Too many attempts, content: {application/json: {schema: Error}}}
    """
    body = _json_body("email", "password")
    ratelimit.hit(
        redis_connection(),
        ratelimit.subject_key("signup", request.remote_addr or "?"),
        _settings().sign_up_limit,
        3600,
    )
    role = body.get("role", "client")
    try:
        account = create_account(db.session, body["email"], body["password"], role)
        return jsonify(_account_json(account)), 201
    except EmailTaken:
        email = body["email"].strip().lower()
        return jsonify({"id": new_id(), "email": email, "role": role}), 201


@bp.post("/tokens")
def create_token() -> Any:
    """Exchange an email and password for a bearer token.
    ---
    post:
      summary: Sign in for a bearer token
      security: []
      requestBody: {required: true, content: {application/json: {schema: Credentials}}}
      responses:
        201: {description: A new token, shown once, content: {application/json: {schema: Token}}}
        401: {description: Wrong email or password, content: {application/json: {schema: Error}}}
        422: {description: Bad body, content: {application/json: {schema: Error}}}
        429: {description: Too many attempts, content: {application/json: {schema: Error}}}
    """
    body = _json_body("email", "password")
    account = verify_sign_in(body)
    ttl = timedelta(hours=_settings().token_ttl_hours)
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    token, record = issue_token(db.session, account, ttl, name or request.user_agent.string[:100])
    return jsonify({"token": token, "id": record.id, "expires_at": _iso(record.expires_at)}), 201


@bp.get("/tokens")
@login_required()
def list_tokens() -> Any:
    """List your bearer tokens (never the tokens themselves).
    ---
    get:
      summary: Your API tokens
      responses:
        200: {description: The tokens}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
    """
    rows = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.account_id == g.account.id)
        .order_by(ApiToken.created_at.desc())
    )
    return jsonify(
        {
            "tokens": [
                {
                    "id": t.id,
                    "name": t.name,
                    "created_at": _iso(t.created_at),
                    "expires_at": _iso(t.expires_at),
                    "last_used_at": _iso(t.last_used_at),
                    "current": t.id == g.get("token_id"),
                }
                for t in rows
            ]
        }
    )


@bp.delete("/tokens/<token_id>")
@login_required()
def revoke_token(token_id: str) -> Any:
    """Revoke one of your bearer tokens; it stops working at once.
    ---
    delete:
      summary: Revoke a token
      parameters: [{name: token_id, in: path, required: true, schema: {type: string}}]
      responses:
        204: {description: Revoked}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        404: {description: No such token, content: {application/json: {schema: Error}}}
    """
    token = db.session.get(ApiToken, token_id)
    if token is None or token.account_id != g.account.id:
        raise not_found("token")
    db.session.delete(token)
    audit.record(db.session, g.account.id, g.account, "token_revoked")
    db.session.commit()
    return Response(status=204)


@bp.post("/sessions")
def sign_in() -> Any:
    """Sign in a browser: sets an HttpOnly session cookie and returns the CSRF token.
    ---
    post:
      summary: Web sign-in
      security: []
      requestBody: {required: true, content: {application/json: {schema: Credentials}}}
      responses:
        201: {description: Signed in; cookie set}
        401: {description: Wrong email or password, content: {application/json: {schema: Error}}}
        422: {description: Bad body, content: {application/json: {schema: Error}}}
        429: {description: Too many attempts, content: {application/json: {schema: Error}}}
    """
    account = verify_sign_in(_json_body("email", "password"))
    raw, row = sessions.start(db.session, account)
    response = jsonify({"account": _account_json(account), "csrf_token": row.csrf_token})
    sessions.set_cookie(response, raw, _settings())
    return response, 201


@bp.get("/sessions/current")
@login_required()
def current_session() -> Any:
    """Who is signed in, and the CSRF token for this session's writes.
    ---
    get:
      summary: The current sign-in
      responses:
        200: {description: The account and CSRF token}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
    """
    row = g.get("web_session")
    return jsonify(
        {"account": _account_json(g.account), "csrf_token": row.csrf_token if row else None}
    )


@bp.delete("/sessions/current")
@login_required()
def sign_out() -> Any:
    """Sign this browser out; the old cookie stops working.
    ---
    delete:
      summary: Web sign-out
      responses:
        204: {description: Signed out}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
    """
    sessions.end(db.session, request.cookies.get(sessions.COOKIE))
    audit.record(db.session, g.account.id, g.account, "sign_out")
    db.session.commit()
    response = Response(status=204)
    sessions.clear_cookie(response)
    return response


@bp.post("/accounts/me/password")
@login_required()
def new_password() -> Any:
    """Change your password; every session and token is signed out.
    ---
    post:
      summary: Change password
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [current_password, new_password]
              properties: {current_password: {type: string}, new_password: {type: string}}
      responses:
        204: {description: Changed; sign in again}
        401: {description: Current password wrong, content: {application/json: {schema: Error}}}
        422: {description: Weak new password, content: {application/json: {schema: Error}}}
    """
    body = _json_body("current_password", "new_password")
    change_password(db.session, g.account, body["current_password"], body["new_password"])
    audit.record(db.session, g.account.id, g.account, "password_changed")
    db.session.commit()
    response = Response(status=204)
    sessions.clear_cookie(response)
    return response


@bp.get("/accounts/me")
@login_required()
def me() -> Any:
    """Your account.
    ---
    get:
      summary: Your account
      responses:
        200: {description: The account, content: {application/json: {schema: Account}}}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
    """
    return jsonify(_account_json(g.account))


@bp.delete("/accounts/me")
@login_required()
def erase() -> Any:
    """Erase your account and everything in it; needs your password.
    ---
    delete:
      summary: Erase account
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [password], properties: {password: {type: string}}}
      responses:
        204: {description: Erased}
        401: {description: Password wrong, content: {application/json: {schema: Error}}}
    """
    body = _json_body("password")
    if not verify_password(g.account.password_hash, body["password"]):
        raise ApiError(401, "invalid_credentials", "the password is wrong")
    erase_account(
        db.session, current_app.extensions["homeward.audio"], redis_connection(), g.account
    )
    response = Response(status=204)
    sessions.clear_cookie(response)
    return response


@bp.get("/access-log")
@login_required()
def access_log() -> Any:
    """Every read, share, revoke, link and sign-in touching your data, newest first.
    ---
    get:
      summary: Your access log
      parameters: [{name: before, in: query, schema: {type: integer}}]
      responses:
        200: {description: The events}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
    """
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before < 2**62:
        raise ApiError(422, "invalid_before", "before must be an event id from this log")
    return jsonify({"events": audit.events_for(db.session, g.account.id, before=before)})


@bp.get("/export")
@login_required("client")
def export() -> Any:
    """Download everything you own as a zip: notes, transcripts and audio.
    ---
    get:
      summary: Export your data
      responses:
        200: {description: A zip archive, content: {application/zip: {}}}
        401: {description: Not signed in, content: {application/json: {schema: Error}}}
        403: {description: Not a client account, content: {application/json: {schema: Error}}}
    """
    archive = export_zip(db.session, current_app.extensions["homeward.audio"], g.account)
    stamp = secrets.token_hex(2)
    return send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"homeward-export-{stamp}.zip",
    )
