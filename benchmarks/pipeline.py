"""End-to-end benchmark: ``homeward up`` with 1 and 2 workers, notes uploaded over HTTP.

    .venv/bin/python -m benchmarks.pipeline              # 12 notes per stack
    .venv/bin/python -m benchmarks.pipeline --quick      # 6 notes per stack

For each stack size: first a 60 s note sent alone to an idle stack (three times; the median is
reported), then N notes (the benchmark's 30 s to 3 min notes, in turn) uploaded at once.
Reported: upload to transcribed (p50, p95), notes and audio minutes per minute, the per-job
overhead beyond the model's own time (queue wait, decode, database; from the worker's log line
and the RQ job's timestamps), and each worker process's resident memory (now and peak).
"Transcribed" is the RQ job's end, which follows the note's commit by the job's return.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from typing import Any

import requests

from benchmarks._audio import QUICK_SPECS, Note, NoteSpec, synthesize
from benchmarks._stack import Stack, memory_mb

log = logging.getLogger("benchmarks.pipeline")

IDLE_NOTE = NoteSpec(60, "webm", 2, 10.0)  # the 60 s note of the transcription benchmark
IDLE_RUNS = 3


def upload(stack: Stack, token: str, note: Note) -> tuple[str, float]:
    """Upload one note; returns its id and the wall-clock time the upload began."""
    began = time.time()
    with note.path.open("rb") as fh:
        answer = requests.post(stack.base + "/api/v1/notes", timeout=120,
                               headers={"Authorization": f"Bearer {token}"},
                               files={"audio": (note.path.name, fh)})
    if answer.status_code != 202:
        raise RuntimeError(f"upload of {note.name} answered {answer.status_code}: {answer.text}")
    return str(answer.json()["id"]), began


def wait_transcribed(stack: Stack, token: str, ids: list[str], timeout_s: float = 1800) -> None:
    """Poll the API (gently, so the web server does not compete with the workers) until done."""
    pending, deadline = set(ids), time.monotonic() + timeout_s
    headers = {"Authorization": f"Bearer {token}"}
    while pending and time.monotonic() < deadline:
        for note_id in sorted(pending):
            status = requests.get(f"{stack.base}/api/v1/notes/{note_id}", headers=headers,
                                  timeout=30).json()["status"]
            if status == "failed":
                raise RuntimeError(f"note {note_id} failed")
            if status == "transcribed":
                pending.discard(note_id)
        time.sleep(0.5)
    if pending:
        raise RuntimeError(f"{len(pending)} notes were not transcribed in {timeout_s:.0f} s")


def job_times(stack: Stack, note_id: str, began: float) -> dict[str, float]:
    """Seconds from the upload's start to enqueued, started and ended, from the RQ job."""
    from redis import Redis
    from rq.job import Job

    from service.queueing import job_id_for

    job = Job.fetch(job_id_for(note_id), connection=Redis.from_url(stack.redis_url))
    assert job.enqueued_at and job.started_at and job.ended_at

    def since(moment: Any) -> float:
        return float(moment.replace(tzinfo=UTC).timestamp() - began)

    return {"enqueued": since(job.enqueued_at), "started": since(job.started_at),
            "ended": since(job.ended_at)}


def run_batch(stack: Stack, token: str, notes: list[Note]) -> list[dict[str, Any]]:
    """Upload ``notes`` at once, wait for all, and return one record per note."""
    with ThreadPoolExecutor(max_workers=len(notes)) as pool:
        uploaded = list(pool.map(lambda n: upload(stack, token, n), notes))
    wait_transcribed(stack, token, [note_id for note_id, _ in uploaded])
    deadline = time.monotonic() + 30
    while True:  # the job ends, and its line is logged, just after the note's commit
        try:
            return [record(stack, note_id, began) for note_id, began in uploaded]
        except (KeyError, AssertionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def record(stack: Stack, note_id: str, began: float) -> dict[str, Any]:
    """What the worker's log line and the RQ job say about one note."""
    line, times = stack.job_lines()[note_id], job_times(stack, note_id, began)
    return {**times, **line, "queue": times["started"] - times["enqueued"],
            "job": times["ended"] - times["started"], "began": began}


def overhead_s(record: dict[str, Any]) -> float:
    """The job's time beyond the model's: RQ's start to end, less the model's own seconds."""
    return float(record["job"] - record["model"])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def idle_row(workers: int, runs: list[dict[str, Any]]) -> str:
    """The 60 s note sent alone to an idle stack; the run with the median end-to-end time."""
    r = sorted(runs, key=lambda x: x["ended"])[len(runs) // 2]
    return (f"| {workers} | {r['audio']:.0f} | {r['enqueued']:.2f} | {r['ended']:.2f} "
            f"| {r['model']:.2f} | {1000 * r['queue']:.0f} | {1000 * r['decode']:.0f} "
            f"| {1000 * r['store']:.0f} | {1000 * overhead_s(r):.0f} "
            f"| {1000 * (r['ended'] - r['model']):.0f} |")


def batch_row(workers: int, records: list[dict[str, Any]], memory: list[tuple[float, float]],
              ) -> str:
    ends = [r["ended"] for r in records]
    span = max(r["began"] + r["ended"] for r in records) - min(r["began"] for r in records)
    audio = sum(r["audio"] for r in records)
    rss = ", ".join(f"{now:.0f} / {peak:.0f}" for now, peak in memory)
    return (f"| {workers} | {len(records)} | {audio:.0f} | {percentile(ends, 0.5):.1f} "
            f"| {percentile(ends, 0.95):.1f} | {60 * len(records) / span:.1f} "
            f"| {audio / span:.1f} "
            f"| {1000 * statistics.mean(overhead_s(r) for r in records):.0f} "
            f"| {1000 * statistics.mean(r['decode'] for r in records):.0f} | {rss} |")


def bench_stack(workers: int, count: int, env: dict[str, str]) -> tuple[str, str]:
    """Start a stack, measure the idle 60 s note and then a batch; return both table rows."""
    idle_note = synthesize(IDLE_NOTE)
    batch = [synthesize(QUICK_SPECS[i % len(QUICK_SPECS)]) for i in range(count)]
    with Stack(workers=workers, env=env) as stack:
        token = stack.token()
        log.info("stack with %d worker(s) up at %s (log: %s)", workers, stack.base, stack.log_path)
        runs = [run_batch(stack, token, [idle_note])[0] for _ in range(IDLE_RUNS)]
        records = run_batch(stack, token, batch)
        memory = [memory_mb(pid) for pid in stack.worker_pids()]
    return idle_row(workers, runs), batch_row(workers, records, memory)


IDLE_HEAD = ("| workers | audio s | upload s | upload to transcribed s | model s | queue wait ms "
             "| decode ms | store ms | job overhead ms | end-to-end overhead ms |\n"
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
BATCH_HEAD = ("| workers | notes | audio s | p50 upload to transcribed s | p95 s | notes / min "
              "| audio s / s | mean job overhead ms | mean decode ms "
              "| worker RSS MB (now / peak) |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pipeline",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 notes per stack, not 12")
    parser.add_argument("--notes", type=int, help="notes uploaded at once per stack")
    parser.add_argument("--workers", type=int, action="append", help="stack sizes (1 and 2)")
    parser.add_argument("--env", action="append", default=[], metavar="HOMEWARD_X=VALUE",
                        help="a setting for the stack, e.g. HOMEWARD_CPU_THREADS=1")
    args = parser.parse_args(argv)
    count = args.notes or (6 if args.quick else 12)
    env = dict(item.split("=", 1) for item in args.env)
    rows = [bench_stack(n, count, env) for n in (args.workers or [1, 2])]
    settings = " ".join(args.env) or "default settings"
    print(f"A 60 s note sent alone to an idle stack ({settings}; median of {IDLE_RUNS}):\n")
    print(IDLE_HEAD + "\n" + "\n".join(idle for idle, _ in rows))
    print(f"\n{count} notes uploaded at once:\n")
    print(BATCH_HEAD + "\n" + "\n".join(batch for _, batch in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
