"""End to end: `homeward up` starts Redis, the web server and a worker as separate processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from benchmarks._stack import free_port, port_open
from tests.conftest import DATA, JFK_WORDS, PASSWORD, words

pytestmark = pytest.mark.slow
HOMEWARD = str(Path(sys.executable).parent / "homeward")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], int]]:
    web_port, redis_port = free_port(), free_port()
    # No master key configured: `homeward up` makes one in the (temporary) config folder.
    env = {
        **os.environ,
        "HOMEWARD_DATA_DIR": str(tmp_path / "data"),
        "HOMEWARD_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    env.pop("HOMEWARD_MASTER_KEY", None)
    env.pop("HOMEWARD_MASTER_KEY_FILE", None)
    process = subprocess.Popen(
        [HOMEWARD, "up", "--port", str(web_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{web_port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except requests.RequestException:  # refused, or slow to answer on a busy machine
            pass
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("homeward up did not become ready")
    yield base, process, redis_port
    if process.poll() is None:
        process.kill()
        process.wait()


def test_upload_over_http_transcribed_by_the_worker(
    stack: tuple[str, subprocess.Popen[str], int],
) -> None:
    base, process, redis_port = stack
    assert port_open(redis_port), "homeward up should have started its own redis-server"
    http = requests.Session()
    assert (
        http.post(
            f"{base}/api/v1/accounts", json={"email": "e2e@example.org", "password": PASSWORD}
        ).status_code
        == 201
    )
    token = http.post(
        f"{base}/api/v1/tokens", json={"email": "e2e@example.org", "password": PASSWORD}
    ).json()["token"]
    http.headers["Authorization"] = f"Bearer {token}"
    ids = {}
    for name in ("multilingual.mp3", "jfk.flac"):
        with (DATA / name).open("rb") as fh:
            answer = http.post(f"{base}/api/v1/notes", files={"audio": (name, fh)})
        assert answer.status_code == 202, answer.text
        ids[name] = answer.json()["id"]
    seen: list[float] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        notes = {name: http.get(f"{base}/api/v1/notes/{i}").json() for name, i in ids.items()}
        seen.append(notes["multilingual.mp3"]["progress"])
        if all(n["status"] in ("transcribed", "failed") for n in notes.values()):
            break
        time.sleep(0.2)
    assert [n["status"] for n in notes.values()] == ["transcribed", "transcribed"]
    assert seen == sorted(seen), "progress went backwards"
    assert any(0.0 < p < 1.0 for p in seen), f"no progress between 0 and 1 was seen: {seen}"
    long_words = words(notes["multilingual.mp3"]["transcript"]["text"])
    assert long_words[:6] == ["permission", "is", "hereby", "granted", "free", "of"]
    assert words(notes["jfk.flac"]["transcript"]["text"]) == JFK_WORDS
    timeline = http.get(f"{base}/api/v1/notes").json()["notes"]
    assert {n["id"] for n in timeline} == set(ids.values())
    # Ctrl-C (SIGINT) or SIGTERM stops every process cleanly, the private Redis included.
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    assert not port_open(redis_port)


def test_the_readme_first_command_sends_a_reflection_to_a_tagged_timeline(tmp_path: Path) -> None:
    """`./scripts/demo --exit-after-demo`: a spoken reflection, transcribed, tagged, with a mood."""
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "HOMEWARD_DATA_DIR": str(tmp_path / "data"),
        "HOMEWARD_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    for name in ("HOMEWARD_MASTER_KEY", "HOMEWARD_MASTER_KEY_FILE", "HOMEWARD_DEMO_AUDIO"):
        env.pop(name, None)
    done = subprocess.run(
        [str(root / "scripts" / "demo"), "--exit-after-demo", "--port", str(free_port())],
        cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tags = next(line for line in done.stdout.splitlines() if line.startswith("tags: "))
    for tag in ("people:mom", "prompt:avoided", "prompt:stuck-with-me", "tool:breathing",
                "body:chest"):  # fmt: skip
        assert tag in tags, tags
    assert "mood: 6/10 (from the transcript)" in done.stdout
    assert "timeline of demo-" in done.stdout and "1 note(s)" in done.stdout
