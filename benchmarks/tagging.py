"""Score the rule tagger (service/tagging.py) on the hand-written eval set.

    .venv/bin/python benchmarks/tagging.py [path/to/eval.jsonl]

Each eval line is ``{"text", "tags", "not_tags", "status"?, "mood"?}``. ``tags`` is the complete
truth for its text, so any predicted tag outside it is a false positive (``not_tags`` lists the
hard negatives the set was written to probe; they are false positives like any other, and are
also counted on their own). Recall is over ``tags``. Status accuracy is over the tools listed in
``status`` (a missing tag counts as wrong); mood accuracy over the lines that carry ``mood``
(``null`` means no rating must be found).

Labelling guide the set was written to: themes are tagged when the speaker names them, not
inferred from a body sensation; people when a person of that kind is mentioned (not a
hypothetical "like a friend"); therapist needs a word for them ("my therapist", "counselor",
"in session she said"), a bare "she" is not enough; a tool not used and not planned is no tag.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.tag_rules import SENTENCE_END  # noqa: E402
from service.tagging import extract_mood, tag_transcript  # noqa: E402

KINDS = ("prompt", "tool", "theme", "people", "body")
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging_eval.jsonl"


def _ratio(num: int, den: int) -> float:
    return num / den if den else 1.0


def _throughput(texts: list[str], min_seconds: float = 0.3) -> float:
    """Sentences per second through tag_transcript + extract_mood, timed over repeated passes."""
    sentences = sum(len(SENTENCE_END.findall(t.rstrip())) + 1 for t in texts)
    passes, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < min_seconds or passes == 0:
        for text in texts:
            tag_transcript(text)
            extract_mood(text)
        passes += 1
    return passes * sentences / elapsed


def load(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate(path: str | Path = DEFAULT_PATH) -> dict[str, Any]:
    """Run the tagger over the eval set; return per-kind and overall scores plus every miss."""
    rows = load(path)
    counts = {k: {"tp": 0, "fp": 0, "fn": 0} for k in (*KINDS, "overall")}
    status_total = status_ok = mood_total = mood_ok = hard_negative_hits = 0
    misses: list[dict[str, Any]] = []

    predictions = [(tag_transcript(r["text"]), extract_mood(r["text"])) for r in rows]

    for row, (tags, mood) in zip(rows, predictions, strict=True):
        gold, predicted = set(row["tags"]), {t.name for t in tags}
        by_name = {t.name: t for t in tags}
        for name in predicted | gold:
            kind = name.split(":", 1)[0]
            outcome = "tp" if name in gold and name in predicted else (
                "fp" if name in predicted else "fn")
            counts[kind][outcome] += 1
            counts["overall"][outcome] += 1
        hard_negative_hits += len(predicted & set(row.get("not_tags", [])))
        miss: dict[str, Any] = {}
        if predicted - gold:
            miss["false_positives"] = sorted(predicted - gold)
        if gold - predicted:
            miss["missed"] = sorted(gold - predicted)
        for name, want in row.get("status", {}).items():
            status_total += 1
            got = by_name[name].status if name in by_name else "(no tag)"
            if got == want:
                status_ok += 1
            else:
                miss.setdefault("status", {})[name] = {"want": want, "got": got}
        if "mood" in row:
            mood_total += 1
            got_mood = mood.value if mood else None
            if got_mood == row["mood"]:
                mood_ok += 1
            else:
                miss["mood"] = {"want": row["mood"], "got": got_mood}
        if miss:
            misses.append({"text": row["text"], **miss})

    scores = {}
    for kind, c in counts.items():
        scores[kind] = {
            "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
            "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
            "support": c["tp"] + c["fn"],
            **c,
        }
    return {
        "lines": len(rows),
        "kinds": scores,
        "status_accuracy": _ratio(status_ok, status_total),
        "status_support": status_total,
        "mood_accuracy": _ratio(mood_ok, mood_total),
        "mood_support": mood_total,
        "hard_negative_hits": hard_negative_hits,
        "sentences_per_second": _throughput([r["text"] for r in rows]),
        "misses": misses,
    }


def format_table(result: dict[str, Any]) -> str:
    lines = [f"tagging eval: {result['lines']} lines",
             f"{'kind':<10}{'precision':>10}{'recall':>8}{'support':>9}{'tp':>5}{'fp':>5}{'fn':>5}"]
    for kind in (*KINDS, "overall"):
        s = result["kinds"][kind]
        label = "overall" if kind == "overall" else kind
        lines.append(f"{label:<10}{s['precision']:>10.3f}{s['recall']:>8.3f}{s['support']:>9}"
                     f"{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}")
    lines += [
        f"status accuracy  {result['status_accuracy']:.3f} (n={result['status_support']})",
        f"mood accuracy    {result['mood_accuracy']:.3f} (n={result['mood_support']})",
        f"hard negatives predicted: {result['hard_negative_hits']}",
        f"speed: ~{result['sentences_per_second']:,.0f} sentences/s",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    result = evaluate(args[0] if args else DEFAULT_PATH)
    print(format_table(result))
    if result["misses"]:
        print(f"\nmisses ({len(result['misses'])} lines):")
        for miss in result["misses"]:
            print("  " + json.dumps(miss, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
