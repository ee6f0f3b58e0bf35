"""Every route the app registers, checked against every kind of caller.

The matrix below is the specification. A route the app registers but the matrix does not cover
fails the test, so a new route cannot ship without deciding who may call it.
"""

from __future__ import annotations

import io
import re
import secrets
from typing import Any

import pytest
from flask import Flask

from service.pages import PAGE_BLUEPRINTS
from service.transcripts import TimedSpan
from tests.conftest import DATA, PASSWORD
from tests.test_api_notes import give_transcript

ROLES = (
    "anonymous",
    "owner",
    "other_client",
    "therapist_shared",
    "therapist_unshared",
    "therapist_revoked",
    "therapist_link_ended",
    "therapist_unlinked",
)
CLIENTS = ("owner", "other_client")
THERAPISTS = tuple(r for r in ROLES if r.startswith("therapist"))
SIGNED_IN = CLIENTS + THERAPISTS


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """Authorisation does not depend on the database: SQLite keeps this matrix quick."""
    return f"sqlite:///{tmp_path / 'matrix.sqlite3'}"


def expect(allowed: dict[str, int], denied_default: int = 404) -> dict[str, int]:
    """Fill in a row: anonymous gets 401, every role not listed gets ``denied_default``."""
    row = {role: denied_default for role in ROLES}
    row["anonymous"] = 401
    row.update(allowed)
    return row


def for_roles(roles: tuple[str, ...], status: int, others: int) -> dict[str, int]:
    return expect({r: status for r in roles}, denied_default=others)


PUBLIC = {role: -1 for role in ROLES}  # -1: any 2xx, for every caller
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("/healthz", "GET"): PUBLIC,
    ("/readyz", "GET"): PUBLIC,
    ("/api/v1/openapi.json", "GET"): PUBLIC,
    ("/static/<path:filename>", "GET"): PUBLIC,
    ("/api/v1/accounts", "POST"): PUBLIC,
    ("/api/v1/tokens", "POST"): PUBLIC,
    ("/api/v1/sessions", "POST"): PUBLIC,
    ("/api/v1/accounts/me", "GET"): for_roles(SIGNED_IN, 200, 0),
    ("/api/v1/accounts/me", "DELETE"): for_roles(SIGNED_IN, 204, 0),
    ("/api/v1/accounts/me/password", "POST"): for_roles(SIGNED_IN, 204, 0),
    ("/api/v1/access-log", "GET"): for_roles(SIGNED_IN, 200, 0),
    ("/api/v1/tokens", "GET"): for_roles(SIGNED_IN, 200, 0),
    ("/api/v1/tokens/<token_id>", "DELETE"): expect({"owner": 204}),
    ("/api/v1/sessions/current", "GET"): for_roles(SIGNED_IN, 200, 0),
    ("/api/v1/sessions/current", "DELETE"): for_roles(SIGNED_IN, 204, 0),
    ("/api/v1/links", "GET"): for_roles(SIGNED_IN, 200, 0),
    ("/api/v1/links", "POST"): for_roles(THERAPISTS, 201, 403),
    ("/api/v1/links/<link_id>", "DELETE"): expect({"owner": 204, "therapist_shared": 204}),
    ("/api/v1/invites", "POST"): for_roles(CLIENTS, 201, 403),
    ("/api/v1/export", "GET"): for_roles(CLIENTS, 200, 403),
    ("/api/v1/notes", "GET"): for_roles(CLIENTS, 200, 403),
    ("/api/v1/notes", "POST"): for_roles(CLIENTS, 202, 403),
    ("/api/v1/notes/<note_id>", "GET"): expect({"owner": 200, **dict.fromkeys(THERAPISTS, 403)}),
    ("/api/v1/notes/<note_id>", "PATCH"): expect({"owner": 200, **dict.fromkeys(THERAPISTS, 403)}),
    ("/api/v1/notes/<note_id>", "DELETE"): expect({"owner": 204, **dict.fromkeys(THERAPISTS, 403)}),
    ("/api/v1/notes/<note_id>/audio", "GET"): expect(
        {"owner": 200, **dict.fromkeys(THERAPISTS, 403)}
    ),
    ("/api/v1/notes/<note_id>/transcript.<fmt>", "GET"): expect(
        {"owner": 200, **dict.fromkeys(THERAPISTS, 403)}
    ),
    ("/api/v1/notes/<note_id>/shares/<therapist_id>", "PUT"): expect(
        {"owner": 200, **dict.fromkeys(THERAPISTS, 403)}
    ),
    ("/api/v1/notes/<note_id>/shares/<therapist_id>", "DELETE"): expect(
        {"owner": 204, **dict.fromkeys(THERAPISTS, 403)}
    ),
    ("/api/v1/clients", "GET"): for_roles(THERAPISTS, 200, 403),
    # Only a failed note may be retried: the owner's transcribed note answers 409.
    ("/api/v1/notes/<note_id>/retry", "POST"): expect(
        {"owner": 409, **dict.fromkeys(THERAPISTS, 403)}
    ),
    ("/api/v1/insights", "GET"): for_roles(CLIENTS, 200, 403),
    ("/api/v1/clients/<client_id>/insights", "GET"): expect(
        {
            "other_client": 403,
            "owner": 403,
            "therapist_shared": 200,
            "therapist_unshared": 200,
            "therapist_revoked": 200,
        }
    ),
    ("/api/v1/clients/<client_id>/notes", "GET"): expect(
        {
            "other_client": 403,
            "owner": 403,
            "therapist_shared": 200,
            "therapist_unshared": 200,
            "therapist_revoked": 200,
        }
    ),
    ("/api/v1/clients/<client_id>/notes/<note_id>", "GET"): expect(
        {"other_client": 403, "owner": 403, "therapist_shared": 200}
    ),
    ("/api/v1/clients/<client_id>/notes/<note_id>/audio", "GET"): expect(
        {"other_client": 403, "owner": 403, "therapist_shared": 200}
    ),
}
for row in MATRIX.values():
    for role, status in row.items():
        if status == 0:
            row[role] = 401


#: Routes where several callers may act on the same object, so each needs its own scenario.
ACT_ON_ONE_OBJECT = {("/api/v1/links/<link_id>", "DELETE")}


class Scenario:
    """A client with a transcribed note, and a therapist in each relation to it."""

    def __init__(self, app: Flask) -> None:
        self.app, self.http = app, app.test_client()
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}
        self.emails: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        self.token_ids: dict[str, str] = {}
        for role in SIGNED_IN:
            self._account(role)
        owner = self.headers["owner"]
        self.note = self._upload(owner)
        give_transcript(app, self.note, [TimedSpan(0.0, 11.0, "ask not what your country")])
        self.links = {t: self._link(t) for t in THERAPISTS if t != "therapist_unlinked"}
        for therapist in ("therapist_shared", "therapist_revoked", "therapist_link_ended"):
            self.call(
                "PUT",
                f"/api/v1/notes/{self.note}/shares/{self.ids[therapist]}",
                owner,
                json={"include_audio": True},
            )
        self.call(
            "DELETE", f"/api/v1/notes/{self.note}/shares/{self.ids['therapist_revoked']}", owner
        )
        self.call("DELETE", f"/api/v1/links/{self.links['therapist_link_ended']}", owner)

    def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        return self.http.open(path, method=method, headers=headers, **kwargs)

    def _account(self, role: str) -> None:
        email = f"{role}-{secrets.token_hex(3)}@example.org"
        kind = "client" if role in CLIENTS else "therapist"
        created = self.http.post(
            "/api/v1/accounts", json={"email": email, "password": PASSWORD, "role": kind}
        )
        token = self.http.post("/api/v1/tokens", json={"email": email, "password": PASSWORD}).json
        self.emails[role], self.ids[role] = email, created.json["id"]
        self.token_ids[role] = token["id"]
        self.headers[role] = {"Authorization": f"Bearer {token['token']}"}

    def _upload(self, headers: dict[str, str]) -> str:
        with (DATA / "hotwords.mp3").open("rb") as fh:
            answer = self.http.post(
                "/api/v1/notes", headers=headers, data={"audio": (fh, "n.mp3"), "title": "mine"}
            )
        return str(answer.json["id"])

    def _link(self, therapist: str) -> str:
        code = self.http.post("/api/v1/invites", headers=self.headers["owner"]).json["code"]
        answer = self.http.post(
            "/api/v1/links", headers=self.headers[therapist], json={"code": code}
        )
        return str(answer.json["id"])

    def request_for(self, rule: str, method: str, role: str) -> tuple[str, dict[str, Any]]:
        """Fill a route's parameters with this scenario's ids, and give it a sensible body."""
        values = {
            "note_id": self.note,
            "client_id": self.ids["owner"],
            "fmt": "txt",
            "therapist_id": self.ids["therapist_unshared"]
            if method == "PUT"
            else self.ids["therapist_shared"],
            "link_id": self.links["therapist_shared"],
            "token_id": self.token_ids["owner"],
            "path:filename": "css/app.css",
        }
        path = re.sub(r"<([^>]+)>", lambda m: values[m.group(1)], rule)
        return path, self.body(rule, method, role)

    def body(self, rule: str, method: str, role: str) -> dict[str, Any]:
        email = self.emails.get(role, self.emails["owner"])
        bodies: dict[tuple[str, str], dict[str, Any]] = {
            ("/api/v1/accounts", "POST"): {
                "json": {"email": f"new-{secrets.token_hex(3)}@x.org", "password": PASSWORD}
            },
            ("/api/v1/tokens", "POST"): {"json": {"email": email, "password": PASSWORD}},
            ("/api/v1/sessions", "POST"): {"json": {"email": email, "password": PASSWORD}},
            ("/api/v1/accounts/me", "DELETE"): {"json": {"password": PASSWORD}},
            ("/api/v1/accounts/me/password", "POST"): {
                "json": {"current_password": PASSWORD, "new_password": "another passphrase"}
            },
            ("/api/v1/notes", "POST"): {
                "data": {"audio": (io.BytesIO((DATA / "hotwords.mp3").read_bytes()), "n.mp3")}
            },
            ("/api/v1/notes/<note_id>", "PATCH"): {"json": {"title": "changed"}},
        }
        if (rule, method) == ("/api/v1/links", "POST"):
            return {"json": {"code": self._fresh_code()}}
        return bodies.get((rule, method), {})

    def _fresh_code(self) -> str:
        return str(self.http.post("/api/v1/invites", headers=self.headers["owner"]).json["code"])


def registered(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        # The web app's pages answer in HTML; tests/test_pages.py holds their own matrix.
        if rule.endpoint.partition(".")[0] not in PAGE_BLUEPRINTS
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_the_matrix_covers_every_registered_route(app: Flask) -> None:
    missing = registered(app) - set(MATRIX)
    assert not missing, f"routes with no authorisation decision in the matrix: {sorted(missing)}"
    assert not set(MATRIX) - registered(app), "the matrix names routes that no longer exist"


def _check(scenario: Scenario, rule: str, method: str, role: str, expected: int) -> None:
    path, kwargs = scenario.request_for(rule, method, role)
    answer = scenario.call(method, path, scenario.headers[role], **kwargs)
    if expected == -1:
        assert 200 <= answer.status_code < 300 or (
            rule.startswith("/static") and answer.status_code == 404
        ), (role, answer.json)
        return
    assert answer.status_code == expected, (role, method, path, answer.status_code, answer.json)
    if expected == 404 and "<note_id>" in rule:
        # Not yours looks exactly like not there.
        missing = path.replace(scenario.note, secrets.token_hex(16))
        other = scenario.call(method, missing, scenario.headers[role], **kwargs)
        assert (other.status_code, other.json) == (answer.status_code, answer.json)


@pytest.mark.parametrize(("rule", "method"), sorted(MATRIX))
def test_route_answers_each_role_as_the_matrix_says(app: Flask, rule: str, method: str) -> None:
    row = MATRIX[(rule, method)]
    shared = Scenario(app)
    allowed = [r for r in ROLES if row[r] in (-1, 200, 201, 202, 204)]
    for role in ROLES:
        if role not in allowed:
            _check(shared, rule, method, role, row[role])
    # Denied calls changed nothing: the owner still sees the note as it was.
    note = shared.call("GET", f"/api/v1/notes/{shared.note}", shared.headers["owner"]).json
    assert note["title"] == "mine"
    assert [s["therapist_id"] for s in note["shared_with"]] == [shared.ids["therapist_shared"]]
    # Allowed calls run last. Most touch only the caller's own things, so they share the
    # scenario; where two callers act on one object (a link), each gets a fresh one.
    for index, role in enumerate(allowed):
        fresh = (rule, method) in ACT_ON_ONE_OBJECT and index > 0
        _check(Scenario(app) if fresh else shared, rule, method, role, row[role])


def test_therapist_views_hold_exactly_what_is_shared(app: Flask) -> None:
    s = Scenario(app)
    path = f"/api/v1/clients/{s.ids['owner']}/notes"
    seen = {
        role: [n["id"] for n in s.call("GET", path, s.headers[role]).json["notes"]]
        for role in ("therapist_shared", "therapist_unshared", "therapist_revoked")
    }
    assert seen == {"therapist_shared": [s.note], "therapist_unshared": [], "therapist_revoked": []}
    clients = {
        role: [c["id"] for c in s.call("GET", "/api/v1/clients", s.headers[role]).json["clients"]]
        for role in THERAPISTS
    }
    assert clients["therapist_link_ended"] == [] and clients["therapist_unlinked"] == []
    assert clients["therapist_shared"] == [s.ids["owner"]]
