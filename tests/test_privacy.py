"""Sign-in, sessions, CSRF, rate limits, linking, sharing, the access log, export and erasure."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select, text

from service.db import db
from service.models import Base, WebSession, utcnow
from service.transcripts import TimedSpan
from tests.conftest import DATA, PASSWORD
from tests.test_api_notes import give_transcript

Headers = dict[str, str]


def web_sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> str:
    """Sign in with the session cookie; returns the CSRF token."""
    answer = client.post("/api/v1/sessions", json={"email": email, "password": password})
    assert answer.status_code == 201, answer.json
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    return str(answer.json["csrf_token"])


def new_account(client: FlaskClient, role: str = "client", email: str | None = None) -> str:
    email = email or f"{role}-{id(client) % 9973}-{len(client.cookie_jar or [])}@example.org"
    assert (
        client.post(
            "/api/v1/accounts", json={"email": email, "password": PASSWORD, "role": role}
        ).status_code
        == 201
    )
    return email


def test_session_cookie_signs_in_and_sign_out_invalidates_a_replayed_cookie(
    app: Flask,
    client: FlaskClient,
) -> None:
    email = new_account(client, email="web@example.org")
    web_sign_in(client, email)
    cookie = client.get_cookie("homeward_session")
    assert cookie is not None
    assert client.get("/api/v1/notes").status_code == 200
    current = client.get("/api/v1/sessions/current").json
    assert current["account"]["email"] == email
    assert (
        client.delete(
            "/api/v1/sessions/current", headers={"X-CSRF-Token": current["csrf_token"]}
        ).status_code
        == 204
    )
    replay = app.test_client()
    replay.set_cookie("homeward_session", cookie.value)
    assert replay.get("/api/v1/notes").status_code == 401


def test_writes_with_the_cookie_need_the_csrf_token(client: FlaskClient) -> None:
    csrf = web_sign_in(client, new_account(client, email="csrf@example.org"))
    upload = {"audio": ((DATA / "hotwords.mp3").open("rb"), "n.mp3")}
    forged = client.post("/api/v1/notes", data=upload)
    assert forged.status_code == 403 and forged.json["error"]["code"] == "csrf"
    wrong = client.post(
        "/api/v1/notes",
        data={"audio": ((DATA / "hotwords.mp3").open("rb"), "n.mp3")},
        headers={"X-CSRF-Token": "x" * 43},
    )
    assert wrong.status_code == 403
    assert client.get("/api/v1/notes").json["notes"] == []  # nothing was created
    ok = client.post(
        "/api/v1/notes",
        data={"audio": ((DATA / "hotwords.mp3").open("rb"), "n.mp3")},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 202
    form_field = client.post(
        "/api/v1/notes",
        data={"audio": ((DATA / "hotwords.mp3").open("rb"), "n.mp3"), "csrf_token": csrf},
    )
    assert form_field.status_code == 202


def test_sessions_end_when_idle_and_when_too_old(app: Flask, client: FlaskClient) -> None:
    web_sign_in(client, new_account(client, email="idle@example.org"))
    assert client.get("/api/v1/notes").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(WebSession))
        row.last_seen_at = utcnow() - timedelta(minutes=31)
        db.session.commit()
    assert client.get("/api/v1/notes").status_code == 401
    web_sign_in(client, "idle@example.org")
    with app.app_context():
        row = db.session.scalar(select(WebSession))
        row.created_at = utcnow() - timedelta(hours=13)
        db.session.commit()
    assert client.get("/api/v1/notes").status_code == 401


def test_password_change_signs_out_every_session_and_token(app: Flask) -> None:
    browser, phone, api = app.test_client(), app.test_client(), app.test_client()
    email = new_account(browser, email="pw@example.org")
    csrf = web_sign_in(browser, email)
    web_sign_in(phone, email)
    token = api.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).json["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    weak = browser.post(
        "/api/v1/accounts/me/password",
        headers={"X-CSRF-Token": csrf},
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 422
    changed = browser.post(
        "/api/v1/accounts/me/password",
        headers={"X-CSRF-Token": csrf},
        json={"current_password": PASSWORD, "new_password": "a new passphrase!"},
    )
    assert changed.status_code == 204
    for client, headers in ((browser, {}), (phone, {}), (api, bearer)):
        assert client.get("/api/v1/notes", headers=headers).status_code == 401
    assert (
        api.post(
            "/api/v1/tokens", json={"email": email, "password": "a new passphrase!"}
        ).status_code
        == 201
    )


def test_tokens_are_listed_without_secrets_and_revocable(client: FlaskClient) -> None:
    email = new_account(client, email="tok@example.org")
    first = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD, "name": "laptop"}
    ).json
    second = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).json
    auth = {"Authorization": f"Bearer {first['token']}"}
    listed = client.get("/api/v1/tokens", headers=auth).json["tokens"]
    assert {t["id"] for t in listed} == {first["id"], second["id"]}
    assert first["token"] not in json.dumps(listed)
    assert [t["current"] for t in listed if t["id"] == first["id"]] == [True]
    assert client.delete(f"/api/v1/tokens/{second['id']}", headers=auth).status_code == 204
    assert (
        client.get(
            "/api/v1/notes", headers={"Authorization": f"Bearer {second['token']}"}
        ).status_code
        == 401
    )
    other = new_account(client, email="tok2@example.org")
    theirs = client.post("/api/v1/tokens", json={"email": other, "password": PASSWORD}).json
    assert client.delete(f"/api/v1/tokens/{theirs['id']}", headers=auth).status_code == 404


def test_sign_in_is_rate_limited_per_email(make_app: Callable[..., Flask], redis_url: str) -> None:
    client = make_app(sign_in_limit=3).test_client()
    email = new_account(client, email="rl@example.org")
    for _ in range(3):
        assert (
            client.post(
                "/api/v1/tokens", json={"email": email, "password": "wrong password!!"}
            ).status_code
            == 401
        )
    blocked = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert (
        client.post("/api/v1/sessions", json={"email": email, "password": PASSWORD}).status_code
        == 429
    )
    # Another email is unaffected, and no email is stored in Redis in clear.
    other = new_account(client, email="rl2@example.org")
    assert (
        client.post("/api/v1/tokens", json={"email": other, "password": PASSWORD}).status_code
        == 201
    )
    keys = b" ".join(Redis.from_url(redis_url).keys("*"))
    assert b"rl@example.org" not in keys


def link(client: FlaskClient, client_h: Headers, therapist_h: Headers) -> dict[str, Any]:
    code = client.post("/api/v1/invites", headers=client_h).json["code"]
    linked = client.post("/api/v1/links", headers=therapist_h, json={"code": code})
    assert linked.status_code == 201, linked.json
    result: dict[str, Any] = linked.json
    return result


def test_invites_are_single_use_and_expire(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers]
) -> None:
    me, ther, other = sign_up(), sign_up(role="therapist"), sign_up(role="therapist")
    invite = client.post("/api/v1/invites", headers=me)
    assert invite.status_code == 201 and len(invite.json["code"]) == 11
    assert (
        client.post(
            "/api/v1/links", headers=ther, json={"code": invite.json["code"].lower()}
        ).status_code
        == 201
    )
    reuse = client.post("/api/v1/links", headers=other, json={"code": invite.json["code"]})
    assert reuse.status_code == 404 and reuse.json["error"]["code"] == "invalid_code"
    assert client.post("/api/v1/invites", headers=ther).status_code == 403
    assert client.post("/api/v1/links", headers=me, json={"code": "x"}).status_code == 403
    with app.app_context():
        from service.models import Invite

        stale = client.post("/api/v1/invites", headers=me).json["code"]
        for row in db.session.scalars(select(Invite)):
            row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert client.post("/api/v1/links", headers=other, json={"code": stale}).status_code == 404


def test_sharing_is_chosen_revocable_and_ends_with_the_link(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
) -> None:
    me, ther = sign_up(), sign_up(role="therapist")
    linked = link(client, me, ther)
    shared = upload(me, DATA / "jfk.flac", title="for my therapist").json
    private = upload(me, DATA / "hotwords.mp3", title="just mine").json
    give_transcript(app, shared["id"], [TimedSpan(0, 11, "ask not what your country")])
    base = f"/api/v1/clients/{linked['client_id']}/notes"
    assert client.get(base, headers=ther).json["notes"] == []  # private by default
    put = client.put(f"/api/v1/notes/{shared['id']}/shares/{linked['therapist_id']}", headers=me)
    assert put.status_code == 200
    assert [s["therapist_id"] for s in put.json["shared_with"]] == [linked["therapist_id"]]
    seen = client.get(base, headers=ther).json["notes"]
    assert [n["id"] for n in seen] == [shared["id"]]
    assert seen[0]["transcript"]["text"] == "ask not what your country"
    assert seen[0]["shared_with"] == [] and seen[0]["audio_shared"] is False
    assert client.get(f"{base}/{private['id']}", headers=ther).status_code == 404
    assert client.get(f"{base}/{shared['id']}/audio", headers=ther).status_code == 404
    client.put(
        f"/api/v1/notes/{shared['id']}/shares/{linked['therapist_id']}",
        headers=me,
        json={"include_audio": True},
    )
    audio = client.get(f"{base}/{shared['id']}/audio", headers=ther)
    assert audio.status_code == 200 and audio.data == (DATA / "jfk.flac").read_bytes()
    assert (
        client.delete(
            f"/api/v1/notes/{shared['id']}/shares/{linked['therapist_id']}", headers=me
        ).status_code
        == 204
    )
    assert client.get(f"{base}/{shared['id']}", headers=ther).status_code == 404
    assert client.get(f"{base}/{shared['id']}/audio", headers=ther).status_code == 404
    client.put(f"/api/v1/notes/{shared['id']}/shares/{linked['therapist_id']}", headers=me)
    assert client.delete(f"/api/v1/links/{linked['id']}", headers=ther).status_code == 204
    assert client.get(base, headers=ther).status_code == 404
    assert client.get(f"/api/v1/notes/{shared['id']}", headers=me).json["shared_with"] == []
    unlinked = sign_up(role="therapist")
    therapist_id = client.get("/api/v1/accounts/me", headers=unlinked).json["id"]
    assert (
        client.put(f"/api/v1/notes/{shared['id']}/shares/{therapist_id}", headers=me).status_code
        == 404
    )


def test_access_log_records_who_did_what_without_content(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
) -> None:
    me, ther = sign_up(), sign_up(role="therapist")
    linked = link(client, me, ther)
    note = upload(me, DATA / "jfk.flac", title="secret title words").json
    give_transcript(app, note["id"], [TimedSpan(0, 11, "canary marmalade")])
    client.put(f"/api/v1/notes/{note['id']}/shares/{linked['therapist_id']}", headers=me)
    client.get(f"/api/v1/clients/{linked['client_id']}/notes/{note['id']}", headers=ther)
    client.delete(f"/api/v1/notes/{note['id']}/shares/{linked['therapist_id']}", headers=me)
    events = client.get("/api/v1/access-log", headers=me).json["events"]
    actions = [(e["action"], e["actor"]["role"], e["note_id"]) for e in reversed(events)]
    assert actions == [
        ("sign_in", "client", None),
        ("invite_created", "client", None),
        ("link_created", "therapist", None),
        ("note_shared", "client", note["id"]),
        ("note_read", "therapist", note["id"]),
        ("share_revoked", "client", note["id"]),
    ]
    dumped = json.dumps(events)
    assert "marmalade" not in dumped and "secret title" not in dumped
    # The therapist's own log holds their sign-in, not the client's events.
    assert [e["action"] for e in client.get("/api/v1/access-log", headers=ther).json["events"]] == [
        "sign_in"
    ]


def test_export_holds_notes_transcripts_and_audio(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
) -> None:
    me = sign_up()
    note = upload(me, DATA / "jfk.flac", title="export me").json
    give_transcript(app, note["id"], [TimedSpan(0.0, 11.0, "ask not what your country")])
    answer = client.get("/api/v1/export", headers=me)
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    names = archive.namelist()
    assert {n.rsplit(".", 1)[-1] for n in names if n.startswith("transcripts/")} == {
        "txt",
        "srt",
        "vtt",
    }
    audio = [n for n in names if n.startswith("audio/")]
    assert len(audio) == 1 and archive.read(audio[0]) == (DATA / "jfk.flac").read_bytes()
    notes = json.loads(archive.read("notes.json"))["notes"]
    assert notes[0]["title"] == "export me"
    assert notes[0]["transcript"]["text"] == "ask not what your country"
    assert "access-log.json" in names


def test_erasure_leaves_nothing_of_the_account(
    app: Flask,
    client: FlaskClient,
    sign_up: Callable[..., Headers],
    upload: Any,
    redis_url: str,
) -> None:
    keep = sign_up()
    kept = upload(keep, DATA / "hotwords.mp3").json
    me, ther = sign_up(email="leaving@example.org"), sign_up(role="therapist")
    linked = link(client, me, ther)
    note = upload(me, DATA / "jfk.flac", title="leaving").json
    give_transcript(app, note["id"], [TimedSpan(0, 11, "ask not")])
    client.put(f"/api/v1/notes/{note['id']}/shares/{linked['therapist_id']}", headers=me)
    upload(me, DATA / "jfk.flac")  # still queued
    assert (
        client.delete(
            "/api/v1/accounts/me", headers=me, json={"password": "wrong password!"}
        ).status_code
        == 401
    )
    assert (
        client.delete("/api/v1/accounts/me", headers=me, json={"password": PASSWORD}).status_code
        == 204
    )
    assert client.get("/api/v1/notes", headers=me).status_code == 401
    assert (
        client.get(f"/api/v1/clients/{linked['client_id']}/notes", headers=ther).status_code == 404
    )
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            flat = json.dumps([[str(v) for v in row] for row in rows])
            assert linked["client_id"] not in flat, table.name
            assert "leaving@example.org" not in flat, table.name
        if db.engine.dialect.name == "sqlite":
            count = db.session.scalar(text("SELECT count(*) FROM notes_fts"))
            assert count == db.session.scalar(
                select(func.count()).select_from(Base.metadata.tables["notes"])
            )
    audio_root = app.extensions["homeward.audio"].root
    assert not (audio_root / linked["client_id"]).exists()
    connection = Redis.from_url(redis_url)
    blob = b" ".join(connection.keys("*"))
    assert note["id"].encode() not in blob
    assert kept["id"].encode() in blob  # another client's queued job is untouched


def test_security_headers_on_every_kind_of_response(
    client: FlaskClient, sign_up: Callable[..., Headers]
) -> None:
    me = sign_up()
    for path, headers in (
        ("/healthz", {}),
        ("/api/v1/notes", me),
        ("/api/v1/notes", {}),
        ("/nowhere", {}),
    ):
        answer = client.get(path, headers=headers)
        csp = answer.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "default-src 'self'" in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("field", ["title", "transcript"])
def test_swapped_ciphertexts_fail_to_decrypt(
    app: Flask, client: FlaskClient, sign_up: Callable[..., Headers], upload: Any, field: str
) -> None:
    me = sign_up()
    one = upload(me, DATA / "jfk.flac", title="first").json
    two = upload(me, DATA / "jfk.flac", title="second").json
    for note in (one, two):
        give_transcript(app, note["id"], [TimedSpan(0, 1, f"words of {note['id'][:4]}")])
    from service.models import Note

    column = "title_ct" if field == "title" else "transcript_ct"
    with app.app_context():
        a, b = db.session.get(Note, one["id"]), db.session.get(Note, two["id"])
        first, second = getattr(a, column), getattr(b, column)
        setattr(a, column, second)
        setattr(b, column, first)
        db.session.commit()
    answer = client.get(f"/api/v1/notes/{one['id']}", headers=me)
    assert answer.status_code == 500  # a loud failure, never another note's words
    assert answer.json["error"]["code"] == "integrity_error"
    assert "integrity check" in answer.json["error"]["message"]
    assert "words of" not in answer.text and "second" not in answer.text
