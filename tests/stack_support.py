"""Real processes for fault tests: a redis-server and `homeward up`, on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from benchmarks._stack import children, free_port
from tests.conftest import MASTER_KEY, PASSWORD, TEST_SETTINGS

HOMEWARD = str(Path(sys.executable).parent / "homeward")


def wait_for(check: Callable[[], Any], what: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (requests.RequestException, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class RedisServer:
    """A redis-server of the test's own, with no persistence (a restart loses everything)."""

    def __init__(self, folder: Path) -> None:
        self.port, self.folder = free_port(), folder
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                        capture_output=True, text=True).stdout.strip() == "PONG",
                 "redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def cli(self, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True,
                              text=True, check=True)
        return done.stdout.strip()


class Stack:
    """`homeward up` (web and worker as separate processes) against a given Redis."""

    def __init__(self, data_dir: Path, redis_url: str, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "HOMEWARD_DATA_DIR": str(data_dir),
                    "HOMEWARD_REDIS_URL": redis_url, "HOMEWARD_MASTER_KEY": MASTER_KEY,
                    "HOMEWARD_RECONCILE_INTERVAL_S": "2", "HOMEWARD_RECONCILE_AFTER_S": "3",
                    "HOMEWARD_WORKER_HEARTBEAT_S": "1",
                    **{f"HOMEWARD_{k.upper()}": str(v) for k, v in TEST_SETTINGS.items()},
                    **{f"HOMEWARD_{k.upper()}": v for k, v in settings.items()}}
        self.log = data_dir.parent / "stack.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = requests.Session()

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([HOMEWARD, "up", "--port", str(self.port)],
                                            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.http.get(f"{self.base}/readyz", timeout=2).status_code == 200,
                 "homeward up")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def pids(self, marker: str) -> list[int]:
        assert self.process is not None
        return [pid for pid, cmd in children(self.process.pid) if marker in cmd]

    def sign_up(self, email: str = "client@example.org") -> None:
        self.http.post(f"{self.base}/api/v1/accounts", json={"email": email, "password": PASSWORD})
        token = self.http.post(f"{self.base}/api/v1/tokens",
                               json={"email": email, "password": PASSWORD}).json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def upload(self, path: Path, **headers: str) -> requests.Response:
        with path.open("rb") as fh:
            return self.http.post(f"{self.base}/api/v1/notes", files={"audio": (path.name, fh)},
                                  headers=headers, timeout=60)

    def note(self, note_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.http.get(f"{self.base}/api/v1/notes/{note_id}",
                                               timeout=10).json()
        return result

    def wait_transcribed(self, note_ids: list[str], timeout: float = 180) -> list[dict[str, Any]]:
        def done() -> list[dict[str, Any]] | None:
            notes = [self.note(i) for i in note_ids]
            return notes if all(n["status"] == "transcribed" for n in notes) else None

        notes: list[dict[str, Any]] = wait_for(done, "every note transcribed", timeout)
        return notes
