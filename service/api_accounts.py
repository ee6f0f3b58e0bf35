"""Accounts and bearer tokens over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from service.auth import create_account, issue_token
from service.db import db
from service.errors import ApiError

bp = Blueprint("accounts", __name__, url_prefix="/api/v1")


def _json_body(*required: str) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", f"send a JSON object with {', '.join(required)}")
    missing = [name for name in required if not isinstance(body.get(name), str)]
    if missing:
        raise ApiError(422, "missing_field", f"missing or not text: {', '.join(missing)}")
    return body


@bp.post("/accounts")
def create() -> Any:
    """Create a client or therapist account.
    ---
    post:
      summary: Create an account
      security: []
      requestBody: {required: true, content: {application/json: {schema: AccountCreate}}}
      responses:
        201: {description: Created, content: {application/json: {schema: Account}}}
        409: {description: Email taken, content: {application/json: {schema: Error}}}
        422: {description: Bad field, content: {application/json: {schema: Error}}}
    """
    body = _json_body("email", "password")
    account = create_account(
        db.session, body["email"], body["password"], body.get("role", "client")
    )
    return jsonify({"id": account.id, "email": account.email, "role": account.role}), 201


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
    """
    body = _json_body("email", "password")
    ttl = timedelta(hours=current_app.config["HOMEWARD"].token_ttl_hours)
    token, record = issue_token(db.session, body["email"], body["password"], ttl)
    expires = record.expires_at.isoformat().replace("+00:00", "Z")
    return jsonify({"token": token, "expires_at": expires}), 201
