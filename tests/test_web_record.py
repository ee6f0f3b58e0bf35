"""In a real browser: sign up, record through the microphone, upload, and never lose a recording."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from tests.conftest import DATA, words

if TYPE_CHECKING:
    from tests.web_support import Visitor

pytest_plugins = ["tests.web_support"]
pytestmark = pytest.mark.slow

JFK_PHRASE = "ask not what your country can do for you"


def test_record_through_the_microphone_and_read_it_on_the_timeline(
    visit: Callable[..., Visitor],
) -> None:
    client = visit("client")
    client.sign_up("client")
    page = client.page
    assert page.get_by_role("heading", name="How did it go?").is_visible()
    for prompt in ("What stuck with me most?", "avoided", "learn something new"):
        assert page.get_by_text(prompt).is_visible()
    client.shot("record-idle")

    page.get_by_role("button", name="Record", exact=True).click()
    page.get_by_text("I can hear you.").wait_for(timeout=10_000)  # the level meter hears speech
    client.shot("recording", full_page=False)
    # The fake microphone plays jfk.flac once (11 s of speech, 1.3 s of silence around it).
    expect(page.locator("#elapsed")).to_have_text(re.compile(r"0:1[2-9]"), timeout=20_000)
    assert page.locator("#level").evaluate("el => el.style.transform").startswith("scaleX(")
    page.get_by_role("button", name="Stop", exact=True).click()

    client.fill_details(title="After Thursday", mood="6", tags="drive-home, tool:breathing")
    assert page.locator("#preview").get_attribute("src", timeout=5_000).startswith("blob:")
    client.shot("details")
    page.locator("#upload-progress").evaluate(
        """bar => { window.progressSeen = [bar.value];
            new MutationObserver(() => window.progressSeen.push(bar.value))
                .observe(bar, {attributes: true}); }"""
    )
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Sent").wait_for(timeout=60_000)
    seen = page.evaluate("window.progressSeen")
    assert seen[0] == 0 and seen[-1] == 100 and seen == sorted(seen), seen
    client.shot("sent")

    page.get_by_role("link", name="See it on your timeline").click()
    page.wait_for_url(re.compile(r"/notes/\w+$"))
    client.goto("/timeline", shot="timeline-transcribing")
    page.evaluate("window.notReloaded = true")
    card = page.locator(".card").first
    card.get_by_text(re.compile("country", re.I)).first.wait_for(timeout=180_000)
    assert page.evaluate("window.notReloaded === true"), "the card should update without a reload"
    client.shot("timeline-transcribed")
    text = card.locator(".excerpt").inner_text()
    assert JFK_PHRASE in " ".join(words(text)), text
    assert "After Thursday" in card.inner_text()
    assert "mood 6/10" in card.inner_text()
    assert card.locator(".tag", has_text="drive home").count() == 1
    (note,) = client.notes()
    assert note["status"] == "transcribed"
    assert note["mood"] == 6
    assert {"drive-home", "tool:breathing"} <= {t["name"] for t in note["tags"]}

    # The browser's own recording (WebM with no duration or cues) still seeks by sentence.
    segments = note["transcript"]["segments"]
    client.goto(f"/notes/{note['id']}")
    player = page.locator("#player")
    player.evaluate("el => new Promise(ok => el.readyState >= 1 ? ok() : el.onloadedmetadata = ok)")
    expect(page.locator(".segment").first).to_be_visible()
    client.wait_until("Number.isFinite(document.getElementById('player').duration)")
    assert player.evaluate("el => el.duration") == pytest.approx(note["duration_s"], abs=0.5)
    assert player.evaluate("el => el.currentTime") == 0, "back at the start once measured"
    page.locator(".segment").last.click()
    position = player.evaluate("el => el.currentTime")
    assert segments[-1]["start"] <= position < segments[-1]["start"] + 2, (segments, position)
    moved = player.evaluate(
        """el => new Promise(ok => { el.pause(); el.onseeked = () => ok(el.currentTime);
            el.currentTime = 6; })"""
    )
    assert moved == pytest.approx(6, abs=0.1), "the recorded WebM is seekable"
    client.shot("recorded-note")


def test_upload_cut_off_mid_way_arrives_exactly_once(visit: Callable[..., Visitor]) -> None:
    client = visit("client")
    client.sign_up("client")
    page = client.page
    keys: list[str | None] = []

    def lose_the_answer(route: Any) -> None:
        """The server gets the upload and answers; the phone loses the connection first."""
        keys.append(route.request.header_value("Idempotency-Key"))
        if len(keys) == 1:
            route.fetch()  # the note is created on the server...
            client.context.set_offline(True)
            route.abort("internetdisconnected")  # ...but its 202 never reaches the phone
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/notes$"), lose_the_answer)
    page.locator("#file").set_input_files(str(DATA / "jfk.flac"))
    client.fill_details(title="Sent through a tunnel")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Waiting to send").wait_for()
    assert "send by itself" in page.locator("#sending-status").inner_text()
    client.shot("offline-waiting")

    client.context.set_offline(False)  # the browser's "online" event sends it again
    page.get_by_role("heading", name="Sent").wait_for(timeout=60_000)
    client.shot("back-online-sent")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
    notes = client.notes()
    assert [n["title"] for n in notes] == ["Sent through a tunnel"], "exactly one note"
    assert page.evaluate("indexedDB.databases().then(d => d.length)") == 1
    assert (
        page.evaluate(
            """() => new Promise(done => indexedDB.open('homeward').onsuccess = e =>
            e.target.result.transaction('recordings').objectStore('recordings').count()
              .onsuccess = c => done(c.target.result))"""
        )
        == 0
    ), "the browser forgets a recording once the server has it"


def test_recording_made_offline_survives_a_reload_and_sends_when_back(
    visit: Callable[..., Visitor],
) -> None:
    client = visit("client")
    client.sign_up("client")
    page = client.page
    # The service worker keeps the record page, so it opens with no connection at all.
    client.wait_until("navigator.serviceWorker.controller !== null")
    client.context.set_offline(True)
    page.reload()
    assert page.get_by_role("button", name="Record", exact=True).is_visible()
    page.locator("#file").set_input_files(str(DATA / "jfk.flac"))
    client.fill_details(title="Written in a car park")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="Waiting to send").wait_for()
    client.shot("offline-queued")

    page.reload()  # still offline: the recording is still there, waiting
    item = page.locator("#queue .queue-item")
    item.wait_for()
    assert "Written in a car park" in item.inner_text()
    client.shot("offline-after-reload")

    client.context.set_offline(False)
    page.locator("#queue").wait_for(state="hidden", timeout=60_000)
    client.goto("/timeline", shot="timeline-after-reconnect")
    assert [n["title"] for n in client.notes()] == ["Written in a car park"]
