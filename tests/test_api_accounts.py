"""Accounts and bearer tokens over the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.db import db
from service.models import Account, ApiToken
from tests.conftest import PASSWORD


def test_create_account_then_token(client: FlaskClient) -> None:
    created = client.post(
        "/api/v1/accounts", json={"email": " Sam@Example.org ", "password": PASSWORD}
    )
    assert created.status_code == 201
    assert created.json == {"id": created.json["id"], "email": "sam@example.org", "role": "client"}
    token = client.post("/api/v1/tokens", json={"email": "sam@example.org", "password": PASSWORD})
    assert token.status_code == 201
    assert len(token.json["token"]) >= 40
    expires = datetime.fromisoformat(token.json["expires_at"])
    assert expires > datetime.now(UTC)


def test_password_is_stored_as_argon2id_and_token_as_hash(make_app: Callable[..., Flask]) -> None:
    app = make_app(password_time_cost=3, password_memory_kib=65536)  # the production defaults
    client = app.test_client()
    client.post("/api/v1/accounts", json={"email": "a@example.org", "password": PASSWORD})
    token = client.post("/api/v1/tokens", json={"email": "a@example.org", "password": PASSWORD})
    with app.app_context():
        account = db.session.scalar(select(Account))
        assert account is not None
        assert account.password_hash.startswith("$argon2id$")
        assert "m=65536,t=3" in account.password_hash
        stored = db.session.scalar(select(ApiToken))
        assert stored is not None and token.json["token"] not in stored.token_hash


def test_therapist_role_and_bad_fields(client: FlaskClient) -> None:
    therapist = client.post(
        "/api/v1/accounts",
        json={"email": "t@example.org", "password": PASSWORD, "role": "therapist"},
    )
    assert therapist.status_code == 201 and therapist.json["role"] == "therapist"
    cases = [
        ({"email": "not-an-email", "password": PASSWORD}, "invalid_email"),
        ({"email": "x@example.org", "password": "short"}, "weak_password"),
        ({"email": "x@example.org", "password": PASSWORD, "role": "admin"}, "invalid_role"),
        ({"email": "x@example.org"}, "missing_field"),
    ]
    for body, code in cases:
        answer = client.post("/api/v1/accounts", json=body)
        assert answer.status_code == 422, body
        assert answer.json["error"]["code"] == code
    not_json = client.post("/api/v1/accounts", data="email=x", content_type="text/plain")
    assert not_json.status_code == 422 and "JSON" in not_json.json["error"]["message"]


def test_duplicate_email_gets_the_same_answer_and_changes_nothing(client: FlaskClient) -> None:
    body = {"email": "dup@example.org", "password": PASSWORD}
    first = client.post("/api/v1/accounts", json=body)
    again = client.post(
        "/api/v1/accounts", json={"email": "DUP@example.org", "password": "another long password"}
    )
    fresh = client.post("/api/v1/accounts", json={**body, "email": "new@example.org"})
    assert first.status_code == again.status_code == fresh.status_code == 201
    assert set(again.json) == set(fresh.json) and again.json["id"] != first.json["id"]
    # The real account keeps its password; the second one never existed.
    ok = client.post("/api/v1/tokens", json=body)
    assert ok.status_code == 201
    impostor = client.post(
        "/api/v1/tokens", json={"email": "dup@example.org", "password": "another long password"}
    )
    assert impostor.status_code == 401


def test_wrong_password_and_unknown_email_get_the_same_answer(client: FlaskClient) -> None:
    client.post("/api/v1/accounts", json={"email": "b@example.org", "password": PASSWORD})
    wrong = client.post("/api/v1/tokens", json={"email": "b@example.org", "password": "nope" * 4})
    unknown = client.post("/api/v1/tokens", json={"email": "zz@example.org", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_bad_tokens_get_401_with_a_reason(client: FlaskClient) -> None:
    missing = client.get("/api/v1/notes")
    assert missing.status_code == 401
    assert missing.json["error"]["code"] == "missing_token"
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Bearer not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "):
        answer = client.get("/api/v1/notes", headers={"Authorization": header})
        assert answer.status_code == 401, header
        assert (
            "token" in answer.json["error"]["message"]
            or "Bearer" in answer.json["error"]["message"]
        )


def test_expired_token_is_refused(app: Flask, client: FlaskClient, sign_up) -> None:  # type: ignore[no-untyped-def]
    headers = sign_up()
    assert client.get("/api/v1/notes", headers=headers).status_code == 200
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            token.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
        db.session.commit()
    expired = client.get("/api/v1/notes", headers=headers)
    assert expired.status_code == 401
    assert "expired" in expired.json["error"]["message"]


def test_therapist_cannot_upload_notes(client: FlaskClient, sign_up) -> None:  # type: ignore[no-untyped-def]
    therapist = sign_up(role="therapist")
    answer = client.get("/api/v1/notes", headers=therapist)
    assert answer.status_code == 403
    assert answer.json["error"]["code"] == "wrong_role"


def test_sign_up_is_rate_limited_per_address(make_app: Callable[..., Flask]) -> None:
    client = make_app(sign_up_limit=2).test_client()
    for n in range(2):
        assert (
            client.post(
                "/api/v1/accounts", json={"email": f"s{n}@example.org", "password": PASSWORD}
            ).status_code
            == 201
        )
    third = client.post("/api/v1/accounts", json={"email": "s3@example.org", "password": PASSWORD})
    assert third.status_code == 429 and "Retry-After" in third.headers
