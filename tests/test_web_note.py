"""In a real browser: a note's player and transcript, edits, downloads, search, insights, delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.conftest import DATA, words

if TYPE_CHECKING:
    from tests.web_support import Visitor

pytest_plugins = ["tests.web_support"]
pytestmark = pytest.mark.slow


def test_a_note_from_listening_to_deleting(visit: Callable[..., Visitor]) -> None:
    client = visit("client", viewport={"width": 1280, "height": 860})
    client.sign_up("client")
    note = client.upload_file(DATA / "jfk.flac", title="Walk home", mood="7", tags="school")
    note = client.wait_transcribed(note["id"])
    segments = note["transcript"]["segments"]
    assert len(segments) >= 2, segments
    page = client.page

    client.goto(f"/notes/{note['id']}", shot="note")
    player = page.locator("#player")
    player.evaluate(
        "el => new Promise(done => el.readyState >= 1 ? done() : el.onloadedmetadata = done)"
    )
    last = page.locator(".segment").last
    last.click()
    start = segments[-1]["start"]
    assert start > 1
    position = player.evaluate("el => el.currentTime")
    assert start <= position < start + 2, (start, position)
    expect(last).to_have_attribute("aria-current", "true")
    assert page.locator(".segment.playing").count() == 1
    player.evaluate("el => el.pause()")
    client.shot("note-after-seek")

    page.get_by_text("Change the title, mood, tags or transcript").click()
    page.get_by_label("Title").fill("Walk home, take two")
    page.get_by_label("Mood").select_option("3")
    page.get_by_role("textbox", name="Tags").fill("school, friends")
    client.shot("editing")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Walk home, take two")
    assert "mood 3/10" in page.locator(".note-head").inner_text()
    assert {t["name"] for t in client.api("GET", f"/api/v1/notes/{note['id']}").json()["tags"]} >= {
        "school",
        "friends",
    }

    for fmt, first_line in (("txt", None), ("srt", "1"), ("vtt", "WEBVTT")):
        link = page.get_by_role("link", name=re.compile(rf"^\.{fmt}"))
        answer = client.api("GET", link.get_attribute("href") or "")
        assert answer.ok and "attachment" in answer.headers["content-disposition"]
        body = answer.text()
        assert "ask not what your country" in " ".join(words(body))
        if first_line:
            assert body.splitlines()[0].strip() == first_line

    client.goto("/timeline?q=country", shot="search")
    assert page.locator(".card mark").first.inner_text().lower() == "country"
    client.goto("/timeline?tag=friends")
    assert page.locator(".card").count() == 1
    client.goto("/timeline?tag=tool:journaling")
    assert page.locator(".card").count() == 0
    assert "No notes match" in page.inner_text("main")

    client.goto("/insights", shot="insights")
    assert page.locator("svg.chart-wide circle.dot").count() == 1
    assert "Mood over time" in page.inner_text("main")

    client.goto(f"/notes/{note['id']}")
    page.get_by_role("button", name="Delete this note").click()
    dialog = page.get_by_role("dialog", name="Delete this note?")
    expect(dialog).to_be_visible()
    client.shot("delete-confirm", full_page=False)
    dialog.get_by_role("button", name="Keep it").click()
    assert client.notes(), "keeping it keeps it"
    page.get_by_role("button", name="Delete this note").click()
    dialog.get_by_role("button", name="Delete for good").click()
    page.wait_for_url(re.compile(r"/timeline$"))
    client.shot("timeline-after-delete")
    assert client.notes() == []
