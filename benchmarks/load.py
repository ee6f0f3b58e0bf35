"""Load test (not a test): many clients uploading at once to a stack with two workers.

    .venv/bin/python -m benchmarks.load                       # 50 clients, 500 notes of 5-60 s
    .venv/bin/python -m benchmarks.load --clients 10 --notes 60

Every client uploads its notes one after another (with an Idempotency-Key) and reads its timeline
after each upload, while the workers are busy. It then waits until every note is transcribed and
checks that each client has exactly the notes it uploaded: none lost, none doubled. It prints the
latency of uploads and timeline reads (p50, p95, p99) and the throughput.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from benchmarks._audio import Note, NoteSpec, synthesize
from benchmarks._stack import Stack

LENGTHS = (5, 10, 20, 30, 45, 60)
FORMATS = ("m4a", "webm", "mp3", "ogg")


@dataclass
class Client:
    token: str
    uploads: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    note_ids: list[str] = field(default_factory=list)

    def session(self) -> requests.Session:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.token}"
        return http


def timed(call: Callable[[], requests.Response], into: list[float]) -> requests.Response:
    started = time.perf_counter()
    answer = call()
    into.append(time.perf_counter() - started)
    return answer


def upload_once(http: requests.Session, base: str, note: Note) -> requests.Response:
    with note.path.open("rb") as fh:
        return http.post(
            f"{base}/api/v1/notes",
            files={"audio": (note.path.name, fh.read())},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=120,
        )


def run_client(base: str, client: Client, notes: list[Note]) -> None:
    http = client.session()
    for note in notes:
        answer = timed(lambda n=note: upload_once(http, base, n), client.uploads)
        answer.raise_for_status()
        client.note_ids.append(answer.json()["id"])
        timed(lambda: http.get(f"{base}/api/v1/notes?limit=20", timeout=60), client.reads)


def timeline_of(base: str, client: Client) -> list[dict[str, Any]]:
    http, notes, cursor = client.session(), [], ""
    while True:
        page = http.get(f"{base}/api/v1/notes?limit=100{cursor}", timeout=60).json()
        notes.extend(page["notes"])
        if not page["next_cursor"]:
            return notes
        cursor = f"&cursor={page['next_cursor']}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, values: list[float]) -> str:
    return (
        f"{name:<16} n={len(values):<5} p50 {percentile(values, 0.5) * 1000:7.0f} ms  "
        f"p95 {percentile(values, 0.95) * 1000:7.0f} ms  p99 {percentile(values, 0.99) * 1000:7.0f}"
        f" ms  max {max(values) * 1000:7.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--notes", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    library = [
        synthesize(NoteSpec(s, FORMATS[i % len(FORMATS)], 100 + i, 12.0))
        for i, s in enumerate(LENGTHS)
    ]
    plan = [library[i % len(library)] for i in range(args.notes)]
    audio_s = sum(LENGTHS[i % len(LENGTHS)] for i in range(args.notes))
    # Every simulated client signs up from one address: lift the per-address limits.
    limits = {"HOMEWARD_SIGN_UP_LIMIT": "100000", "HOMEWARD_SIGN_IN_LIMIT": "100000"}
    with Stack(workers=args.workers, env=limits) as stack:
        clients = [Client(stack.token()) for _ in range(args.clients)]
        shares = [plan[i :: args.clients] for i in range(args.clients)]
        started = time.monotonic()
        with ThreadPoolExecutor(args.clients) as pool:
            list(
                pool.map(
                    lambda pair: run_client(stack.base, *pair), zip(clients, shares, strict=True)
                )
            )
        uploaded = time.monotonic() - started
        statuses = wait_until_done(stack.base, clients, timeout_s=3 * 3600)
        drained = time.monotonic() - started
    print_summary(args, clients, statuses, audio_s, uploaded, drained)


def wait_until_done(base: str, clients: list[Client], timeout_s: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    while True:
        counts: dict[str, int] = {}
        for client in clients:
            timeline = timeline_of(base, client)
            ids = [n["id"] for n in timeline]
            assert sorted(ids) == sorted(client.note_ids), "a note was lost or doubled"
            for note in timeline:
                counts[note["status"]] = counts.get(note["status"], 0) + 1
        if (
            counts.get("queued", 0) + counts.get("processing", 0) == 0
            or time.monotonic() > deadline
        ):
            return counts
        time.sleep(5)


def print_summary(
    args: argparse.Namespace,
    clients: list[Client],
    statuses: dict[str, int],
    audio_s: int,
    uploaded: float,
    drained: float,
) -> None:
    uploads = [v for c in clients for v in c.uploads]
    reads = [v for c in clients for v in c.reads]
    print(
        f"\n{args.clients} clients, {args.notes} notes ({audio_s / 60:.0f} min of audio), "
        f"{args.workers} workers"
    )
    print(report("upload", uploads))
    print(report("timeline read", reads))
    print(
        f"all uploads answered in {uploaded:.0f} s; every note done after {drained:.0f} s "
        f"({args.notes / drained * 60:.1f} notes/min, {audio_s / drained:.1f} s of audio/s)"
    )
    print(f"final statuses: {statuses}; every client has exactly its notes: yes")
    print(
        f"mean upload {statistics.mean(uploads) * 1000:.0f} ms, "
        f"mean timeline read {statistics.mean(reads) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
