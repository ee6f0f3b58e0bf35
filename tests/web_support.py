"""Browser tests' fixtures: `homeward up` as real processes, Debian's chromium driven by Playwright.

Loaded by the tests/test_web_*.py modules through ``pytest_plugins``. Chromium hears speech from
tests/data through its fake microphone; every page a test visits is saved as a screenshot under
``$HOMEWARD_TEST_ARTIFACTS/screenshots`` (default ``test-artifacts/``), printed at the end.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from benchmarks._stack import free_port
from tests.conftest import DATA, PASSWORD

ROOT = Path(__file__).resolve().parent.parent
HOMEWARD = str(Path(sys.executable).parent / "homeward")
CHROMIUM = os.environ.get("HOMEWARD_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 860}
#: Room for a slow, shared CI machine; a passing run takes a fraction of each.
STARTUP_S, TRANSCRIBE_S = 120, 180


def artifacts_dir() -> Path:
    base = Path(os.environ.get("HOMEWARD_TEST_ARTIFACTS") or ROOT / "test-artifacts")
    return base / "screenshots"


#: Screenshots saved by this run (the summary names their folder only when there are some).
saved: list[Path] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    folder = artifacts_dir()
    if saved:
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"{len(saved)} screenshots of pages: {folder.resolve()}")


@pytest.fixture(scope="session")
def fake_mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jfk.flac as chromium's fake microphone plays it: 44.1 kHz stereo 16-bit, padded."""
    target = tmp_path_factory.mktemp("mic") / "jfk-44k-stereo.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(DATA / "jfk.flac"),
         "-af", "adelay=300|300,apad=pad_dur=1", "-ar", "44100", "-ac", "2", "-c:a", "pcm_s16le",
         str(target)],
        check=True,
    )  # fmt: skip
    return target


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`homeward up` (its own Redis, gunicorn, one worker) on free ports; yields its base URL."""
    tmp = tmp_path_factory.mktemp("web-stack")
    port = free_port()
    env = {
        **os.environ,
        "HOMEWARD_DATA_DIR": str(tmp / "data"),
        "HOMEWARD_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "XDG_CONFIG_HOME": str(tmp / "config"),
        # Tests sign up and in more often from one address than people would, and need not
        # pay production's password cost each time (OWASP's minimum, as in conftest).
        "HOMEWARD_SIGN_IN_LIMIT": "1000",
        "HOMEWARD_SIGN_UP_LIMIT": "1000",
        "HOMEWARD_PASSWORD_TIME_COST": "2",
        "HOMEWARD_PASSWORD_MEMORY_KIB": "19456",
    }
    for name in ("HOMEWARD_MASTER_KEY", "HOMEWARD_MASTER_KEY_FILE", "HOMEWARD_DATABASE_URL"):
        env.pop(name, None)
    log = (tmp / "homeward-up.log").open("w")
    process = subprocess.Popen(
        [HOMEWARD, "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            if requests.get(f"{base}/readyz", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("homeward up did not start:\n" + (tmp / "homeward-up.log").read_text())
        time.sleep(0.5)
    yield base
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
def browser(fake_mic_wav: Path) -> Iterator[Any]:
    """Headless chromium whose microphone speaks jfk.flac (once, from the start of capture)."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"no chromium at {CHROMIUM}; scripts/setup installs it")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={fake_mic_wav}%noloop",
            ],
        )  # fmt: skip
        yield launched
        launched.close()


@dataclass
class Visitor:
    """One person in their own browser context, with every request the pages made."""

    base: str
    context: Any
    page: Any
    folder: Path
    email: str = ""
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    shots: int = 0

    def url(self, path: str) -> str:
        return self.base + path

    def goto(self, path: str, shot: str | None = None) -> Any:
        response = self.page.goto(self.url(path))
        if shot:
            self.shot(shot)
        return response

    def shot(self, name: str, full_page: bool = True) -> Path:
        """Save what the person sees now, numbered in the order the test saw it."""
        self.shots += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        saved.append(path)
        return path

    def sign_up(self, role: str = "client") -> None:
        self.email = f"{role}-{secrets.token_hex(3)}@example.org"
        self.goto("/sign-up")
        name = "My clients" if role == "therapist" else "Me —"
        self.page.get_by_role("radio", name=re.compile("^" + name)).check()
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.shot(f"sign-up-{role}")
        self.page.get_by_role("button", name="Create account").click()
        self.page.wait_for_url(re.compile(r"/sign-in\?notice=created"))
        self.sign_in()

    def sign_in(self) -> None:
        if "/sign-in" not in self.page.url:
            self.goto("/sign-in")
        self.page.get_by_label("Email").fill(self.email)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.shot("sign-in")
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r"/(record|clients)$"))

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the API as this person's browser would (cookie and CSRF header)."""
        token = self.page.locator('meta[name="csrf-token"]').get_attribute("content")
        headers = {"X-CSRF-Token": token or "", **kwargs.pop("headers", {})}
        return self.context.request.fetch(self.url(path), method=method, headers=headers, **kwargs)

    def notes(self) -> list[dict[str, Any]]:
        answer = self.api("GET", "/api/v1/notes?limit=100")
        assert answer.ok, answer.text()
        notes: list[dict[str, Any]] = answer.json()["notes"]
        return notes

    def wait_transcribed(self, note_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + TRANSCRIBE_S
        while time.monotonic() < deadline:
            note: dict[str, Any] = self.api("GET", f"/api/v1/notes/{note_id}").json()
            if note["status"] in ("transcribed", "failed"):
                assert note["status"] == "transcribed", note
                return note
            time.sleep(0.5)
        pytest.fail(f"note {note_id} was not transcribed in {TRANSCRIBE_S} s")

    def upload_file(self, path: Path, **details: str) -> dict[str, Any]:
        """Send a file through the record page's voice-memo picker; returns the new note."""
        before = {n["id"] for n in self.notes()}
        self.goto("/record")
        self.page.locator("#file").set_input_files(str(path))
        self.fill_details(**details)
        self.page.get_by_role("button", name="Send").click()
        self.page.get_by_role("heading", name="Sent").wait_for(timeout=60_000)
        (note,) = [n for n in self.notes() if n["id"] not in before]
        return note

    def fill_details(self, title: str = "", mood: str = "", tags: str = "") -> None:
        self.page.get_by_role("heading", name="Before you send").wait_for()
        if title:
            self.page.get_by_label("Title").fill(title)
        if mood:
            self.page.locator(".mood-scale").get_by_role("radio", name=mood, exact=True).check()
        if tags:
            self.page.get_by_label("Tags").fill(tags)

    def wait_until(self, script: str, timeout_s: float = 20) -> Any:
        """Poll a JS expression until truthy (wait_for_function needs eval, which CSP bars)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.page.evaluate(script)
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"still false after {timeout_s} s: {script}")

    def script_errors(self) -> list[str]:
        """Uncaught errors and console errors, leaving out failed loads the test caused."""
        expected = ("Failed to load resource", "net::ERR_INTERNET_DISCONNECTED")
        return [e for e in self.errors if not any(x in e for x in expected)]

    def offsite_requests(self) -> list[str]:
        own = (self.base + "/", "blob:", "data:")
        return [u for u in self.requests if not u.startswith(own) and u != self.base]

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations on the current page (WCAG 2.x A and AA).

        The script is evaluated by the test driver, so the page's CSP stays as it is and
        nothing is fetched to run it."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate(
            """async () => (await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
                .violations"""
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(
        [
            {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"][:5]]}
            for v in violations
        ],
        indent=1,
    )


@pytest.fixture
def visit(
    browser: Any, web_stack: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Visitor]]:
    """Open a new browser context (one person); every page's requests must stay on Homeward."""
    opened: list[Visitor] = []
    test_folder = artifacts_dir() / re.sub(r"[^\w.-]+", "_", request.node.name)
    if test_folder.exists():
        shutil.rmtree(test_folder)

    def _visit(label: str, viewport: dict[str, int] | None = None) -> Visitor:
        context = browser.new_context(
            viewport=viewport or MOBILE, permissions=["microphone"], locale="en-GB",
            timezone_id="Europe/London", service_workers="allow",
        )  # fmt: skip
        context.set_default_timeout(20_000)
        page = context.new_page()
        visitor = Visitor(web_stack, context, page, test_folder / label)
        context.on("request", lambda r: visitor.requests.append(r.url))
        page.on("pageerror", lambda e: visitor.errors.append(f"{page.url}: {e}"))
        page.on(
            "console",
            lambda m: m.type == "error" and visitor.errors.append(f"{page.url}: {m.text}"),
        )
        opened.append(visitor)
        return visitor

    yield _visit
    for visitor in opened:
        visitor.context.close()
    for visitor in opened:
        assert not visitor.offsite_requests(), visitor.offsite_requests()
        assert not visitor.script_errors(), visitor.script_errors()
