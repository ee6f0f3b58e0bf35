"""In a real browser: every page passes axe-core, reflows at 320 px, and works by keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.conftest import DATA

if TYPE_CHECKING:
    from tests.web_support import Visitor

pytest_plugins = ["tests.web_support"]
pytestmark = pytest.mark.slow

#: 320 CSS px is a 1280 px screen at 400% zoom (WCAG 1.4.10); 640 px is 200% zoom.
WIDTHS = (320, 360, 640, 1280)


def check_page(visitor: Visitor, path: str, name: str) -> None:
    """axe-core finds nothing serious, and nothing scrolls sideways at any width."""
    response = visitor.goto(path)
    assert response.status == 200, (path, response.status)
    from tests.web_support import describe

    problems = visitor.axe()
    assert not problems, f"{path}: {describe(problems)}"
    for width in WIDTHS:
        visitor.page.set_viewport_size({"width": width, "height": 800})
        overflow = visitor.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px wide"
        if width in (360, 1280):
            visitor.shot(f"{name}-{width}")
    visitor.page.set_viewport_size({"width": 360, "height": 740})


def test_every_page_passes_axe_and_reflows(visit: Callable[..., Visitor]) -> None:
    anonymous = visit("anonymous")
    check_page(anonymous, "/sign-in", "sign-in")
    check_page(anonymous, "/sign-up", "sign-up")

    client = visit("client")
    client.sign_up("client")
    note = client.upload_file(DATA / "jfk.flac", title="Thursday", mood="5", tags="school")
    client.wait_transcribed(note["id"])
    client.goto("/sharing")
    client.page.get_by_role("button", name="Create an invite code").click()
    code = client.page.locator("#invite-code").inner_text().strip()

    therapist = visit("therapist")
    therapist.sign_up("therapist")
    therapist.page.get_by_label("Invite code from your client").fill(code)
    therapist.page.get_by_role("button", name="Link").click()
    therapist.page.wait_for_url(re.compile(r"/clients/\w+$"))
    client_path = therapist.page.url.removeprefix(therapist.base)

    client.goto(f"/notes/{note['id']}")
    client.page.get_by_label("Include the recording").check()
    client.page.get_by_role("button", name=f"Share with {therapist.email}").click()
    expect(client.page.locator(".share-state")).to_have_text("Shared, with the recording")

    for path, name in (
        ("/record", "record"),
        ("/timeline", "timeline"),
        ("/timeline?q=country", "search"),
        (f"/notes/{note['id']}", "note"),
        ("/insights", "insights"),
        ("/sharing", "sharing"),
    ):
        check_page(client, path, name)
    for path, name in (
        ("/clients", "clients"),
        (client_path, "client"),
        (f"{client_path}/notes/{note['id']}", "client-note"),
        (f"{client_path}/patterns", "patterns"),
    ):
        check_page(therapist, path, name)
    # The therapist hears the recording, since the client included it.
    assert therapist.page.locator("audio").count() == 0  # (the patterns page has none)
    therapist.goto(f"{client_path}/notes/{note['id']}")
    assert therapist.page.locator("#player").count() == 1


def focus_ring(page: Any) -> str:
    return str(page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle"))


def test_record_and_send_by_keyboard_alone(visit: Callable[..., Visitor]) -> None:
    client = visit("client")
    client.sign_up("client")
    page = client.page
    client.goto("/record")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "record-button":
            break
    else:
        pytest.fail("the record button cannot be reached with Tab")
    assert focus_ring(page) == "solid", "the focused button shows where the focus is"
    client.shot("record-button-focused", full_page=False)
    page.keyboard.press("Enter")
    page.get_by_text("I can hear you.").wait_for(timeout=10_000)
    expect(page.locator("#elapsed")).to_have_text("0:02", timeout=10_000)
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", name="Before you send")
    heading.wait_for()
    assert page.evaluate("document.activeElement.id") == "details-heading"
    problems = client.axe()
    from tests.web_support import describe

    assert not problems, describe(problems)
    for _ in range(8):  # past the player's own controls
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "title":
            break
    else:
        pytest.fail("the title field cannot be reached with Tab")
    page.keyboard.type("Typed, not tapped")
    page.keyboard.press("Tab")  # into the mood scale, on 1 (none is chosen yet)
    page.keyboard.press("ArrowRight")  # chooses 2
    assert page.evaluate("document.querySelector('input[name=mood]:checked').value") == "2"
    assert focus_ring(page) in ("solid", "none")  # the ring is drawn on the radio's chip
    client.shot("details-by-keyboard", full_page=False)
    page.get_by_role("button", name="Send").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Sent").wait_for(timeout=60_000)
    (note,) = client.notes()
    assert (note["title"], note["mood"]) == ("Typed, not tapped", 2)
