"""``python -m workers``: the worker and one-off transcription (``homeward`` calls these)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flask import Flask

from service import configure_logging, create_app


def _transcribe(app: Flask, path: Path) -> int:
    from service.sniff import UnreadableAudio, UnsupportedAudio, probe, sniff_container
    from service.tagging import extract_mood, tag_transcript
    from workers.audio import DecodeError, decode
    from workers.jobs import has_speech
    from workers.runtime import start_runtime

    runtime = start_runtime(app)
    try:
        with path.open("rb") as fh:
            container = sniff_container(fh.read(4096))
        probe(path, container)
        audio = decode(
            path, container, runtime.settings.decode_timeout_s, runtime.settings.decode_memory_mb
        )
    except (OSError, UnsupportedAudio, UnreadableAudio, DecodeError) as exc:
        print(f"homeward: {path}: {exc}", file=sys.stderr)
        return 2
    text = runtime.engine.transcribe(audio.samples).text if has_speech(audio) else ""
    print(text or "(no speech found)")
    tags = tag_transcript(text)
    mood = extract_mood(text)
    print(
        "tags: "
        + (", ".join(t.name + (f" ({t.status})" if t.status else "") for t in tags) or "none")
    )
    if mood:
        print(f"mood: {mood.value}/10 (said: {mood.evidence.text!r})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="homeward worker")
    sub = parser.add_subparsers(dest="command", required=True)
    work = sub.add_parser("worker", help="work the transcription queue")
    work.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    one = sub.add_parser("transcribe", help="transcribe one file and print it with its tags")
    one.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    app = create_app()
    configure_logging(app.config["HOMEWARD"].log_level)
    if args.command == "transcribe":
        return _transcribe(app, args.file)
    from workers.worker import run_worker

    run_worker(app, burst=args.burst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
