"""The web app's pages without a browser: who may open each, CSRF, escaping, CSP-clean HTML."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import sessions
from service.db import db
from service.headers import CSP
from service.models import Account, Note
from service.pages import PAGE_BLUEPRINTS
from service.transcripts import TimedSpan
from tests.conftest import DATA, PASSWORD
from tests.test_api_notes import give_transcript
from tests.test_authz_matrix import ROLES, SIGNED_IN, THERAPISTS, Scenario

CLIENT_ONLY = {"owner": 200, "other_client": 200, **dict.fromkeys(THERAPISTS, 403)}
THERAPIST_ONLY = {"owner": 403, "other_client": 403, **dict.fromkeys(THERAPISTS, 200)}
LINKED = ("therapist_shared", "therapist_unshared", "therapist_revoked")
A_LINKED_CLIENT = {
    "owner": 403, "other_client": 403, **dict.fromkeys(THERAPISTS, 404),
    **dict.fromkeys(LINKED, 200),
}  # fmt: skip
OWN_NOTE = {"owner": 200, "other_client": 404, **dict.fromkeys(THERAPISTS, 403)}
PUBLIC = dict.fromkeys(ROLES, 200)


def signed_in(row: dict[str, int]) -> dict[str, int]:
    """A page that sends a visitor who is not signed in to the sign-in page."""
    return {"anonymous": 302, **row}


#: Every page and form, and what each kind of visitor gets. 302 after a form means it worked.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("/", "GET"): dict.fromkeys(ROLES, 302),
    ("/sign-in", "GET"): PUBLIC,
    ("/sign-up", "GET"): PUBLIC,
    ("/offline", "GET"): PUBLIC,
    ("/sw.js", "GET"): PUBLIC,
    ("/manifest.webmanifest", "GET"): PUBLIC,
    ("/sign-in", "POST"): dict.fromkeys(ROLES, 302),
    ("/sign-up", "POST"): dict.fromkeys(ROLES, 302),
    ("/sign-out", "POST"): dict.fromkeys(ROLES, 302),
    ("/record", "GET"): signed_in(CLIENT_ONLY),
    ("/timeline", "GET"): signed_in(CLIENT_ONLY),
    ("/insights", "GET"): signed_in(CLIENT_ONLY),
    ("/sharing", "GET"): signed_in(CLIENT_ONLY),
    ("/sharing/invites", "POST"): signed_in(CLIENT_ONLY),
    ("/sharing/links/<link_id>/end", "POST"): signed_in(
        {"owner": 302, "other_client": 404, **dict.fromkeys(THERAPISTS, 403)}
    ),
    ("/notes/<note_id>", "GET"): signed_in(OWN_NOTE),
    ("/notes/<note_id>/card", "GET"): signed_in(OWN_NOTE),
    ("/clients", "GET"): signed_in(THERAPIST_ONLY),
    ("/clients/link", "POST"): signed_in(
        {"owner": 403, "other_client": 403, **dict.fromkeys(THERAPISTS, 302)}
    ),
    ("/clients/<client_id>", "GET"): signed_in(A_LINKED_CLIENT),
    ("/clients/<client_id>/patterns", "GET"): signed_in(A_LINKED_CLIENT),
    ("/clients/<client_id>/end", "POST"): signed_in(
        {**A_LINKED_CLIENT, **dict.fromkeys(LINKED, 302)}
    ),
    ("/clients/<client_id>/notes/<note_id>", "GET"): signed_in(
        {
            "owner": 403,
            "other_client": 403,
            **dict.fromkeys(THERAPISTS, 404),
            "therapist_shared": 200,
        }
    ),  # fmt: skip
}


@pytest.fixture
def database_url(tmp_path: Any) -> str:
    """Pages do not depend on the database: SQLite keeps these quick."""
    return f"sqlite:///{tmp_path / 'pages.sqlite3'}"


class Browsers:
    """The matrix scenario, with a signed-in browser (session cookie) for every role."""

    def __init__(self, app: Flask) -> None:
        self.scenario = Scenario(app)
        self.clients: dict[str, FlaskClient] = {"anonymous": app.test_client()}
        self.csrf: dict[str, str] = {"anonymous": ""}
        with app.app_context():
            for role in SIGNED_IN:
                account = db.session.get(Account, self.scenario.ids[role])
                assert account is not None
                raw, row = sessions.start(db.session, account)
                browser = app.test_client()
                browser.set_cookie(sessions.COOKIE, raw)
                self.clients[role], self.csrf[role] = browser, row.csrf_token

    def path(self, rule: str) -> str:
        s = self.scenario
        values = {
            "note_id": s.note, "client_id": s.ids["owner"],
            "link_id": s.links["therapist_shared"],
        }  # fmt: skip
        return re.sub(r"<([^>]+)>", lambda m: values[m.group(1)], rule)

    def form(self, rule: str, role: str) -> dict[str, str]:
        fields = {"csrf_token": self.csrf[role]}
        if rule == "/clients/link":
            fields["code"] = self.scenario._fresh_code()
        if rule == "/sign-in":
            fields.update(email=self.scenario.emails.get(role, "nobody@example.org"))
            fields.update(password=PASSWORD if role != "anonymous" else "not the password")
        if rule == "/sign-up":
            fields.update(email=f"new-{secrets.token_hex(3)}@example.org", password=PASSWORD)
        return fields

    def open(self, rule: str, method: str, role: str) -> Any:
        headers = {"Sec-Fetch-Site": "same-origin"}
        data = self.form(rule, role) if method == "POST" else None
        return self.clients[role].open(self.path(rule), method=method, data=data, headers=headers)


def page_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.partition(".")[0] in PAGE_BLUEPRINTS
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }


def test_the_matrix_covers_every_page(app: Flask) -> None:
    assert page_routes(app) == set(MATRIX)


@pytest.mark.parametrize(("rule", "method"), sorted(MATRIX))
def test_page_answers_each_visitor_as_the_matrix_says(app: Flask, rule: str, method: str) -> None:
    expected = MATRIX[(rule, method)]
    if (rule, method) == ("/sign-in", "POST"):
        expected = {**expected, "anonymous": 401}  # a wrong password is shown on the form
    browsers = Browsers(app)
    # Roles whose request changes things (ending a link) go last, each on the state they found.
    for role in sorted(ROLES, key=lambda r: expected[r] == 302):
        answer = browsers.open(rule, method, role)
        assert answer.status_code == expected[role], (role, answer.status_code)
        if role == "anonymous" and MATRIX[(rule, method)] is not PUBLIC and answer.location:
            assert answer.location.startswith("/sign-in"), answer.location


def test_forms_need_this_sessions_csrf_token(app: Flask) -> None:
    browsers = Browsers(app)
    owner, therapist = browsers.clients["owner"], browsers.clients["therapist_unlinked"]
    for token in (None, "", browsers.csrf["therapist_unlinked"]):
        data = {} if token is None else {"csrf_token": token}
        assert owner.post("/sharing/invites", data=data).status_code == 403
    code = browsers.scenario._fresh_code()
    assert therapist.post("/clients/link", data={"code": code}).status_code == 403
    ok = therapist.post("/clients/link", data={"code": code, "csrf_token": browsers.csrf[
        "therapist_unlinked"]})  # fmt: skip
    assert ok.status_code == 302


def test_sign_in_posted_from_another_site_is_refused(app: Flask, client: FlaskClient) -> None:
    client.post("/api/v1/accounts", json={"email": "a@example.org", "password": PASSWORD})
    form = {"email": "a@example.org", "password": PASSWORD}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        answer = client.post("/sign-in", data=form, headers=headers)
        assert answer.status_code == 403
        assert sessions.COOKIE not in answer.headers.get("Set-Cookie", "")
    answer = client.post("/sign-in", data=form, headers={"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 302 and answer.location == "/record"
    assert sessions.COOKIE in answer.headers["Set-Cookie"]
    assert "HttpOnly" in answer.headers["Set-Cookie"]


def test_sign_up_never_tells_whether_an_email_has_an_account(client: FlaskClient) -> None:
    form = {"email": "taken@example.org", "password": PASSWORD, "role": "client"}
    headers = {"Sec-Fetch-Site": "same-origin"}
    first = client.post("/sign-up", data=form, headers=headers)
    again = client.post(
        "/sign-up", data={**form, "password": "another passphrase"}, headers=headers
    )
    assert (first.status_code, first.location) == (again.status_code, again.location)
    assert first.location == "/sign-in?notice=created"
    weak = client.post("/sign-up", data={**form, "password": "short"}, headers=headers)
    assert weak.status_code == 422 and b"12 to 256 characters" in weak.data


def test_sign_in_returns_only_to_pages_of_this_site(client: FlaskClient) -> None:
    client.post("/api/v1/accounts", json={"email": "b@example.org", "password": PASSWORD})
    headers = {"Sec-Fetch-Site": "same-origin"}
    form = {"email": "b@example.org", "password": PASSWORD}
    for target, landing in (
        ("//evil.example/x", "/record"),
        ("https://evil.example/", "/record"),
        ("/timeline?tag=school", "/timeline?tag=school"),
    ):
        answer = client.post("/sign-in", data={**form, "next": target}, headers=headers)
        assert answer.location == landing, target


def test_note_text_is_shown_as_text_never_as_markup(app: Flask) -> None:
    browsers = Browsers(app)
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)"> & "quotes"'
    give_transcript(app, browsers.scenario.note, [TimedSpan(0.0, 3.0, hostile)])
    owner = browsers.clients["owner"]
    note, client_id = browsers.scenario.note, browsers.scenario.ids["owner"]
    owner.patch(
        f"/api/v1/notes/{note}", json={"title": "<b>bold</b>"},
        headers={"X-CSRF-Token": browsers.csrf["owner"]},
    )  # fmt: skip
    pages = [
        (owner, "/timeline"),
        (owner, "/timeline?q=script"),
        (owner, f"/notes/{note}"),
        (owner, f"/notes/{note}/card"),
        (browsers.clients["therapist_shared"], f"/clients/{client_id}"),
        (browsers.clients["therapist_shared"], f"/clients/{client_id}/notes/{note}"),
    ]
    for browser, path in pages:
        html = browser.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert(1)" in html or "&lt;b&gt;bold" in html, path


def test_pages_hold_no_inline_script_style_or_offsite_links(app: Flask) -> None:
    browsers = Browsers(app)
    owner, therapist = browsers.clients["owner"], browsers.clients["therapist_shared"]
    note, client_id = browsers.scenario.note, browsers.scenario.ids["owner"]
    paths = [
        (browsers.clients["anonymous"], "/sign-in"),
        (browsers.clients["anonymous"], "/sign-up"),
        *[(owner, p) for p in ("/record", "/timeline", f"/notes/{note}", "/insights", "/sharing")],
        *[(therapist, p) for p in ("/clients", f"/clients/{client_id}",
                                   f"/clients/{client_id}/notes/{note}",
                                   f"/clients/{client_id}/patterns")],
    ]  # fmt: skip
    for browser, path in paths:
        answer = browser.get(path)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, path
        assert answer.headers["Content-Security-Policy"] == CSP
        assert answer.headers["Cache-Control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"inline script on {path}"
        assert not re.search(r"\sstyle=|<style", html), f"inline style on {path}"
        assert not re.search(r"\son[a-z]+=", html), f"inline handler on {path}"
        assert not re.search(r"""(?:src|href|action)=["']?(?:https?:)?//""", html), path


def test_service_worker_and_manifest_are_served_for_the_whole_site(client: FlaskClient) -> None:
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert b"__VERSION__" not in worker.data and b"homeward-shell-" in worker.data
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["start_url"] == "/record" and body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon["src"]


def test_insights_draw_mood_tags_and_tools_from_the_notes(
    app: Flask, client: FlaskClient, sign_up: Any, upload: Any
) -> None:
    headers = sign_up()
    said = [
        ("2026-11-02T18:00:00Z", "4", "I tried box breathing in the car and it helped a lot."),
        ("2026-11-09T18:00:00Z", "6", "I went for a run and I want to try journaling tonight."),
        ("2026-11-16T18:00:00Z", "7", "Box breathing helped again before the exam."),
    ]
    for moment, mood, text in said:
        note = upload(headers, DATA / "hotwords.mp3", recorded_at=moment, mood=mood).json["id"]
        give_transcript(app, note, [TimedSpan(0.0, 4.0, text)])
    account = client.get("/api/v1/accounts/me", headers=headers).json
    with app.app_context():
        raw, _row = sessions.start(db.session, db.session.get(Account, account["id"]))
    client.set_cookie(sessions.COOKIE, raw)
    html = client.get("/insights").get_data(as_text=True)
    for chart in ("chart-narrow", "chart-wide"):
        svg = re.search(rf'<svg[^>]*class="chart-svg {chart}".*?</svg>', html, re.S)
        assert svg is not None
        assert svg.group(0).count('class="dot"') == 3
        assert 'class="mean-line"' in svg.group(0)  # three weeks, so a weekly line
    tools = html[html.index('id="tools-heading"') : html.index('id="prompts-heading"')]
    assert "Breathing" in tools and "helped 2" in tools
    assert "tags-heading" in html and 'class="trend-svg"' in html


def test_a_failed_note_says_why_and_offers_to_try_again(app: Flask) -> None:
    browsers = Browsers(app)
    note = browsers.scenario.note
    with app.app_context():
        row = db.session.get(Note, note)
        assert row is not None
        row.status, row.error_code, row.error_message = "failed", "decode", "the audio was cut"
        db.session.commit()
    html = browsers.clients["owner"].get(f"/notes/{note}").get_data(as_text=True)
    assert "couldn't be transcribed: the audio was cut" in html
    assert 'id="retry-button"' in html
    card = browsers.clients["owner"].get(f"/notes/{note}/card").get_data(as_text=True)
    assert 'data-status="failed"' in card and "The recording is kept" in card


def test_an_unknown_address_is_a_page_for_a_browser_and_json_for_the_api(
    client: FlaskClient,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = client.get("/no-such-page", headers=browser)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Nothing here" in page.get_data(as_text=True)
    assert page.headers["Content-Security-Policy"] == CSP
    api = client.get("/api/v1/no-such-thing", headers=browser)
    assert api.status_code == 404 and api.is_json
    assert api.json["error"]["code"] == "not_found"
    curl = client.get("/no-such-page", headers={"Accept": "*/*"})
    assert curl.status_code == 404 and curl.is_json
