"""Transcription benchmark: every engine and configuration on the same audio, in one run.

    .venv/bin/python -m benchmarks.transcribe            # full: adds a 10 min note
    .venv/bin/python -m benchmarks.transcribe --quick    # jfk.flac and 30 s to 3 min notes

For each configuration: total audio seconds, wall seconds (decode included, model load and one
warm-up note excluded, as in a long-running worker), real-time factor (wall / audio), CPU seconds
per audio second, word error rate against the reference (Whisper's English normalizer on both
sides), and peak resident memory of the process that ran it (each configuration has its own).
Prints Markdown tables; ``--json FILE`` also keeps the raw figures and transcripts.

The machine is shared (a virtual machine whose speed drifts by a quarter over minutes), so every
configuration runs ``--rounds`` times (2 by default), round-robin, and each note's time is its
fastest round: a slow spell then hits one round of every configuration alike instead of a few
configurations entirely. Transcripts, and so word error rates, come from the first round.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks._audio import ROOT, Note, benchmark_notes
from benchmarks._configs import Config, select

log = logging.getLogger("benchmarks.transcribe")

MODEL_CACHE = Path(__file__).resolve().parent / ".cache" / "models"
#: What Homeward's default pipeline must reach (docs/performance.md).
TARGET_RTF = 0.04


def audio_seconds(note: Note) -> float:
    """Duration as ffprobe reads it from the container."""
    from service.sniff import probe, sniff_container

    with note.path.open("rb") as fh:
        return probe(note.path, sniff_container(fh.read(4096))).duration_s


def run_config(config: Config, notes: list[Note]) -> dict[str, Any]:
    """Run one configuration in a fresh Python process and return what it measured."""
    request = {
        "config": asdict(config), "cache": str(MODEL_CACHE),
        "notes": [{"name": n.name, "path": str(n.path)} for n in notes],
    }  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._runner"], input=json.dumps(request), text=True,
        capture_output=True, cwd=ROOT, env=env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{config.name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def fastest(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One configuration's rounds merged: each note's fastest time, the first round's text."""
    notes = []
    for per_round in zip(*(r["notes"] for r in rounds), strict=True):
        best = min(per_round, key=lambda n: n["wall_s"])
        notes.append({**best, "text": per_round[0]["text"],
                      "wall_rounds": [n["wall_s"] for n in per_round]})  # fmt: skip
    return {"notes": notes, "peak_rss_mb": max(r["peak_rss_mb"] for r in rounds),
            "load_s": min(r["load_s"] for r in rounds)}  # fmt: skip


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus word error rate: all errors over all reference words, both sides normalized."""
    import jiwer
    from whisper.normalizers import EnglishTextNormalizer

    normalize = EnglishTextNormalizer()
    return float(jiwer.wer([normalize(r) for r in references],
                           [normalize(h) or "<empty>" for h in hypotheses]))


def summarize(config: Config, result: dict[str, Any], notes: list[Note],
              seconds: dict[str, float]) -> dict[str, Any]:
    """One row of the main table."""
    rows = result["notes"]
    audio = sum(seconds[r["name"]] for r in rows)
    wall, cpu = sum(r["wall_s"] for r in rows), sum(r["cpu_s"] for r in rows)
    references = {n.name: n.reference for n in notes}
    wer = word_error_rate([references[r["name"]] for r in rows], [r["text"] for r in rows])
    return {"name": config.name, "baseline": config.baseline, "audio_s": audio, "wall_s": wall,
            "rtf": wall / audio, "cpu_rtf": cpu / audio, "wer": wer,
            "peak_mb": result["peak_rss_mb"], "load_s": result["load_s"]}


def main_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| configuration | audio s | wall s | RTF | CPU s / audio s | WER % | peak RSS MB "
             "| model load s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        mark = " (baseline)" if r["baseline"] else ""
        lines.append(
            f"| {r['name']}{mark} | {r['audio_s']:.0f} | {r['wall_s']:.1f} | {r['rtf']:.3f} "
            f"| {r['cpu_rtf']:.3f} | {100 * r['wer']:.1f} | {r['peak_mb']:.0f} "
            f"| {r['load_s']:.1f} |"
        )
    return "\n".join(lines)


def per_note_table(name: str, result: dict[str, Any], notes: list[Note],
                   seconds: dict[str, float]) -> str:
    references = {n.name: n.reference for n in notes}
    lines = [f"Per note, {name}:", "", "| note | audio s | wall s | model s | RTF | WER % |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in result["notes"]:
        wer = word_error_rate([references[r["name"]]], [r["text"]])
        lines.append(f"| {r['name']} | {seconds[r['name']]:.1f} | {r['wall_s']:.2f} "
                     f"| {r['model_s']:.2f} | {r['wall_s'] / seconds[r['name']]:.3f} "
                     f"| {100 * wer:.1f} |")
    return "\n".join(lines)


def verdict(rows: list[dict[str, Any]]) -> str:
    """Whether Homeward's default meets the targets against the baselines of this run."""
    default = next((r for r in rows if r["name"] == "homeward default"), None)
    baselines = [r for r in rows if r["baseline"]]
    if default is None or not baselines:
        return "(targets not checked: run includes no homeward default or no baseline)"
    best = min(baselines, key=lambda r: r["wer"])
    rtf_ok, wer_ok = default["rtf"] <= TARGET_RTF, default["wer"] <= best["wer"]
    return (f"homeward default: RTF {default['rtf']:.3f} (target <= {TARGET_RTF}: "
            f"{'met' if rtf_ok else 'NOT met'}); WER {100 * default['wer']:.1f} % against the "
            f"best baseline's {100 * best['wer']:.1f} % ({best['name']}: "
            f"{'met' if wer_ok else 'NOT met'}).")


def machine() -> str:
    return (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transcribe",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="notes up to 3 min only")
    parser.add_argument("--config", action="append", help="run only this configuration")
    parser.add_argument("--per-note", action="append", default=[], metavar="CONFIG",
                        help="also print per-note figures for this configuration")
    parser.add_argument("--rounds", type=int, default=2,
                        help="runs of every configuration, round-robin; the fastest counts")
    parser.add_argument("--json", type=Path, help="write raw results and transcripts here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    args = parse_args(argv)
    notes = benchmark_notes(args.quick)
    seconds = {n.name: audio_seconds(n) for n in notes}
    configs = select(args.config, args.quick)
    print(f"{'quick' if args.quick else 'full'} run, {len(notes)} notes, "
          f"{sum(seconds.values()):.0f} s of audio, {args.rounds} round(s); {machine()}")
    rounds: dict[str, list[dict[str, Any]]] = {c.name: [] for c in configs}
    started = time.perf_counter()
    for number in range(1, args.rounds + 1):
        for config in configs:
            log.info("round %d: running %s", number, config.name)
            rounds[config.name].append(run_config(config, notes))
            row = summarize(config, rounds[config.name][-1], notes, seconds)
            log.info("%s: RTF %.3f, WER %.3f", config.name, row["rtf"], row["wer"])
    raw = {name: fastest(results) for name, results in rounds.items()}
    rows = [summarize(config, raw[config.name], notes, seconds) for config in configs]
    print(main_table(rows) + "\n\n" + verdict(rows))
    spread = [max(n["wall_rounds"]) / min(n["wall_rounds"]) for r in raw.values()
              for n in r["notes"]]  # fmt: skip
    print(f"\nslowest round against fastest, per note: median x{statistics.median(spread):.2f}, "
          f"worst x{max(spread):.2f}")
    for name in args.per_note:
        if name in raw:
            print("\n" + per_note_table(name, raw[name], notes, seconds))
    print(f"\nfinished in {time.perf_counter() - started:.0f} s; {machine()}")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "raw": raw}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
