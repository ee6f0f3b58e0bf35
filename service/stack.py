"""``homeward up``: Redis (when none answers), the web server and a worker, supervised together."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from redis import Redis

from service.config import Settings

log = logging.getLogger(__name__)

#: How long a child gets to finish its work after SIGTERM before it is killed.
STOP_GRACE_S = 15


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    def start(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(self.command, env=env)
        log.info("started %s (pid %d)", self.name, self.process.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def redis_answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means no usable Redis
        return False


def private_redis(settings: Settings) -> Child:
    """A redis-server that keeps its data (AOF) in the data folder, on the URL's port."""
    parsed = urlparse(settings.redis_url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"no Redis answers at {settings.redis_url}, and it is not local")
    folder = (settings.data_dir / "redis").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        "redis-server", "--bind", "127.0.0.1", "--port", str(parsed.port or 6379),
        "--dir", str(folder), "--appendonly", "yes", "--appendfsync", "everysec",
        "--save", "", "--maxmemory-policy", "noeviction",
    ]  # fmt: skip
    return Child("redis", command)


def wait_until(check: object, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up within {timeout_s:.0f} s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Stack:
    settings: Settings
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["HOMEWARD_DATA_DIR"] = str(self.settings.data_dir.resolve())
        env["HOMEWARD_REDIS_URL"] = self.settings.redis_url
        # Every web process must sign cookies with the same key.
        env.setdefault("HOMEWARD_SECRET_KEY", self.settings.secret_key or secrets.token_hex(32))
        return env

    def start(self) -> None:
        env = self.environment()
        if not redis_answers(self.settings.redis_url):
            redis = private_redis(self.settings)
            redis.start(env)
            self.children.append(redis)
            wait_until(lambda: redis_answers(self.settings.redis_url), "redis-server")
        web = Child("web", [
            sys.executable, "-m", "gunicorn", "--bind", f"{self.host}:{self.port}",
            "--workers", "2", "--threads", "4", "--timeout", "120",
            "--access-logfile", "-", "--access-logformat", '%(m)s %(U)s %(s)s %(L)ss',
            "service.wsgi:app",
        ])  # fmt: skip
        workers = [
            Child(f"worker-{n}", [sys.executable, "-m", "workers", "worker"])
            for n in range(1, self.workers + 1)
        ]
        for child in [web, *workers]:
            child.start(env)
            self.children.append(child)
        wait_until(lambda: http_ok(self.url + "/readyz"), "the web server", timeout_s=90)

    def supervise(self, until: object = None) -> None:
        """Restart children that die, until stopped or ``until()`` is true."""
        env = self.environment()
        while not self.stopping and not (callable(until) and until()):
            for child in self.children:
                if not child.alive() and not self.stopping:
                    code = child.process.returncode if child.process else None
                    log.warning("%s exited with %s; restarting it", child.name, code)
                    child.restarts += 1
                    child.start(env)
            time.sleep(0.5)

    def stop(self, *_args: object) -> None:
        self.stopping = True
        # Web and workers first, so nothing is left writing to a Redis that is going away.
        for child in reversed(self.children):
            child.stop()
        log.info("stopped")

    def install_signal_handlers(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: setattr(self, "stopping", True))


def data_dir_default() -> Path:
    return Path.cwd() / "instance"
