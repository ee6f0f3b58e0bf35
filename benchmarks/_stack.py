"""A Homeward stack for the pipeline benchmark: ``homeward up`` on free ports, a fresh data folder.

The stack starts its own redis-server, gunicorn and worker processes, exactly as an operator's
``homeward up --workers N`` does; the benchmark talks to it over HTTP only, and reads the workers'
log lines, their RQ jobs and their /proc entries to see where the time and memory went.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

log = logging.getLogger(__name__)

HOMEWARD = str(Path(sys.executable).parent / "homeward")
PASSWORD = "benchmark passphrase, long enough"  # noqa: S105 - a throwaway account
JOB_LINE = re.compile(
    r"\[(?P<pid>\d+)\]: note (?P<id>\S+) transcribed: (?P<audio>[\d.]+) s audio, "
    r"decode (?P<decode>[\d.]+) s, model (?P<model>[\d.]+) s, store (?P<store>[\d.]+) s, "
    r"total (?P<total>[\d.]+) s"
)


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    """Whether something accepts connections on this loopback port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[tuple[int, str]]:
    """Direct children of a process, with their command lines (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append((int(entry.name), cmdline))
    return found


@dataclass
class Stack:
    """``homeward up --workers N``, started in __enter__ and stopped (all of it) in __exit__."""

    workers: int
    env: dict[str, str] = field(default_factory=dict)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="homeward-bench-")))
    process: subprocess.Popen[bytes] | None = None
    redis_url: str = ""
    base: str = ""
    _log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / "stack.log"

    def __enter__(self) -> Stack:
        port = free_port()
        self.redis_url = f"redis://127.0.0.1:{free_port()}/0"
        self.base = f"http://127.0.0.1:{port}"
        env = {**os.environ, **self.env, "HOMEWARD_DATA_DIR": str(self.folder / "data"),
               "HOMEWARD_REDIS_URL": self.redis_url}
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [HOMEWARD, "up", "--port", str(port), "--workers", str(self.workers)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout_s: float = 180) -> None:
        """Wait for the web server, then for every worker to have loaded its engine."""
        from redis import Redis
        from rq import Worker

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"homeward up exited; see {self.log_path}")
            try:
                ready = requests.get(self.base + "/readyz", timeout=2).status_code == 200
                redis = Redis.from_url(self.redis_url)
                if ready and Worker.count(connection=redis) >= self.workers:
                    return
            except (requests.ConnectionError, OSError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the stack was not ready within {timeout_s:.0f} s")

    def __exit__(self, *_exc: object) -> None:
        """SIGTERM to ``homeward up``, which stops its children; then kill what is left."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process is not None:
            # Anything of the session left behind (a worker that ignored the signal).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()

    def token(self) -> str:
        """Create a client account and return a bearer token for it."""
        email = f"bench-{time.time_ns()}@example.org"
        created = requests.post(self.base + "/api/v1/accounts", timeout=30,
                                json={"email": email, "password": PASSWORD, "role": "client"})
        created.raise_for_status()
        answer = requests.post(self.base + "/api/v1/tokens", timeout=30,
                               json={"email": email, "password": PASSWORD})
        answer.raise_for_status()
        token: str = answer.json()["token"]
        return token

    def worker_pids(self) -> list[int]:
        """The worker processes: children of ``homeward up`` running ``-m workers worker``."""
        assert self.process is not None
        return sorted(pid for pid, cmd in children(self.process.pid) if "-m workers worker" in cmd)

    def job_lines(self) -> dict[str, dict[str, Any]]:
        """The workers' per-note log lines, by note id."""
        found = {}
        for match in JOB_LINE.finditer(self.log_path.read_text(errors="replace")):
            found[match["id"]] = {k: float(v) if k != "id" else v
                                  for k, v in match.groupdict().items()}
        return found


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)
