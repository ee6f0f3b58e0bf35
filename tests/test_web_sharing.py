"""In a real browser: a client links a therapist, shares a note, and takes it back."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.conftest import DATA, PASSWORD, words

if TYPE_CHECKING:
    from tests.web_support import Visitor

pytest_plugins = ["tests.web_support"]
pytestmark = pytest.mark.slow


def test_share_a_note_with_a_therapist_then_revoke_it(visit: Callable[..., Visitor]) -> None:
    client = visit("client")
    client.sign_up("client")
    note = client.upload_file(DATA / "jfk.flac", title="For Thursday's session", mood="4")
    private = client.upload_file(DATA / "hotwords.mp3", title="Just for me")
    client.wait_transcribed(note["id"])

    client.goto("/sharing")
    client.page.get_by_role("button", name="Create an invite code").click()
    code = client.page.locator("#invite-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code), code
    client.shot("invite-code")

    therapist = visit("therapist")
    therapist.sign_up("therapist")
    therapist.page.get_by_label("Invite code from your client").fill(code)
    therapist.page.get_by_role("button", name="Link").click()
    therapist.page.wait_for_url(re.compile(r"/clients/\w+$"))
    client_page = therapist.page.url.removeprefix(therapist.base)
    assert "hasn't shared any notes" in therapist.page.inner_text("main")
    therapist.shot("linked-nothing-shared")

    client.goto(f"/notes/{note['id']}")
    statement = client.page.locator(".statement").inner_text()
    assert "hear the recording, only if you include it" in statement
    client.page.get_by_role("button", name=f"Share with {therapist.email}").click()
    expect(client.page.locator(".share-state")).to_have_text("Shared, transcript only")
    client.shot("note-shared")

    therapist.goto(client_page, shot="client-notes")
    cards = therapist.page.locator(".card")
    assert cards.count() == 1
    assert "Just for me" not in therapist.page.inner_text("main")
    cards.get_by_role("link", name="For Thursday's session").click()
    therapist.page.wait_for_url(re.compile(r"/notes/\w+$"))
    transcript = therapist.page.locator(".transcript-panel").inner_text()
    assert "ask not what your country can do for you" in " ".join(words(transcript))
    assert therapist.page.locator("audio").count() == 0, "the recording was not shared"
    therapist.shot("shared-note")
    shared_url = therapist.page.url.removeprefix(therapist.base)
    therapist.goto(client_page + "/patterns", shot="patterns")
    assert "Patterns in what" in therapist.page.inner_text("h1")

    client.goto("/sharing", shot="access-log")
    log = client.page.locator("#access-log + p + .log").inner_text()
    assert therapist.email in log and "read a shared note" in log

    client.goto(f"/notes/{note['id']}")
    client.page.get_by_role("button", name="Stop sharing").click()
    expect(client.page.locator(".share-state")).to_have_text("Not shared")
    client.shot("note-revoked")

    response = therapist.goto(shared_url)  # the same link that worked a moment ago
    assert response.status == 404
    assert therapist.page.locator(".transcript-panel").count() == 0
    assert "Nothing here" in therapist.page.inner_text("h1")
    therapist.shot("revoked-note-gone")
    therapist.goto(client_page, shot="client-notes-after-revoke")
    assert therapist.page.locator(".card").count() == 0
    assert "hasn't shared any notes" in therapist.page.inner_text("main")
    assert private["id"] not in therapist.page.content()

    client.goto("/sharing")
    client.page.get_by_role("button", name="End link").click()
    dialog = client.page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"End the link with {therapist.email}?")
    client.shot("end-link-confirm", full_page=False)
    dialog.get_by_role("button", name="Yes, go ahead").click()
    client.page.wait_for_url(re.compile(r"/sharing\?ended=1$"))
    assert "No therapist is linked yet" in client.page.inner_text("main")
    therapist.goto("/clients", shot="clients-after-link-ended")
    assert client.email not in therapist.page.inner_text("main")
    assert therapist.goto(client_page).status == 404


def test_each_role_sees_only_its_own_pages(visit: Callable[..., Visitor]) -> None:
    client = visit("client")
    client.sign_up("client")
    therapist = visit("therapist")
    therapist.sign_up("therapist")
    for path in ("/record", "/timeline", "/insights", "/sharing", "/notes/0123456789abcdef"):
        response = therapist.goto(path)
        assert response.status == 403, path
    therapist.shot("client-page-as-therapist")
    for path in ("/clients", "/clients/0123456789abcdef"):
        response = client.goto(path)
        assert response.status == 403, path
    # Signed out, a page sends the browser to sign in, and back afterwards.
    anonymous = visit("anonymous")
    anonymous.goto("/timeline?tag=school")
    assert re.search(r"/sign-in\?next=", anonymous.page.url)
    anonymous.page.get_by_label("Email").fill(client.email)
    anonymous.page.get_by_label("Password").fill(PASSWORD)
    anonymous.page.get_by_role("button", name="Sign in").click()
    anonymous.page.wait_for_url(re.compile(r"/timeline\?tag=school$"))
