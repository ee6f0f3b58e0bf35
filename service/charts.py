"""Charts drawn on the server as SVG geometry: no script, nothing fetched, nothing inline to allow.

Functions take the numbers ``service.insights`` computes and return plain dicts of coordinates
that ``web/templates/_charts.html`` turns into <svg> elements; every chart also comes with the
rows of a table, so the same numbers can be read without seeing the drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MOOD_MIN, MOOD_MAX = 1, 10


@dataclass(frozen=True)
class Frame:
    """A chart's drawing area inside its viewBox, in SVG user units."""

    width: int = 360
    height: int = 200
    left: int = 34
    right: int = 12
    top: int = 12
    bottom: int = 30

    @property
    def inner_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> int:
        return self.height - self.top - self.bottom


def _short(day: date) -> str:
    return f"{day.day} {day:%b}"


def _x_scale(first: date, last: date, frame: Frame) -> tuple[date, date, float]:
    if first == last:
        first, last = first - timedelta(days=3), last + timedelta(days=3)
    return first, last, frame.inner_width / (last - first).days


def mood_chart(mood: dict[str, Any], frame: Frame | None = None) -> dict[str, Any] | None:
    """Every rated note as a dot and the weekly mean as a line, on a 1-10 scale; None if none."""
    frame = frame or Frame()
    points = mood.get("points") or []
    if not points:
        return None
    days = [date.fromisoformat(p["date"]) for p in points]
    weekly = mood.get("weekly") or []
    week_days = [date.fromisoformat(w["week_start"]) + timedelta(days=3) for w in weekly]
    first, last, per_day = _x_scale(min(days + week_days), max(days + week_days), frame)

    def x(day: date) -> float:
        return round(frame.left + (day - first).days * per_day, 1)

    def y(value: float) -> float:
        share = (value - MOOD_MIN) / (MOOD_MAX - MOOD_MIN)
        return round(frame.top + frame.inner_height * (1 - share), 1)

    dots = [
        {"x": x(day), "y": y(p["mood"]), "mood": p["mood"], "date": p["date"]}
        for day, p in zip(days, points, strict=True)
    ]
    line = " ".join(f"{x(day)},{y(w['mean'])}" for day, w in zip(week_days, weekly, strict=True))
    return {
        "frame": frame,
        "dots": dots,
        "line": line if len(weekly) > 1 else "",
        "y_ticks": [{"y": y(v), "label": str(v)} for v in (1, 4, 7, 10)],
        "x_ticks": [
            {"x": frame.left, "label": _short(first), "anchor": "start"},
            {"x": frame.width - frame.right, "label": _short(last), "anchor": "end"},
        ],
        "rows": [(w["week_start"], w["mean"], w["count"]) for w in weekly],
    }


def tag_trends(
    tags: dict[str, Any], top: int = 6, weeks: int = 8, frame: Frame | None = None
) -> dict[str, Any] | None:
    """A small bar chart per frequent tag: how many notes carried it, week by week."""
    frame = frame or Frame(height=44, left=0, right=0, top=4, bottom=4)
    weekly = (tags.get("weekly") or [])[-weeks:]
    totals: dict[str, int] = tags.get("totals") or {}
    names = sorted(totals, key=lambda n: (-totals[n], n))[:top]
    if not weekly or not names:
        return None
    highest = max(max(w["counts"].get(n, 0) for w in weekly) for n in names) or 1
    # Always room for ``weeks`` bars, the latest on the right, so a new client's first week
    # is one bar, not a slab.
    slot = frame.inner_width / max(weeks, len(weekly))
    skip = max(weeks, len(weekly)) - len(weekly)
    rows = []
    for name in names:
        bars = []
        for i, week in enumerate(weekly, start=skip):
            count = week["counts"].get(name, 0)
            h = round(frame.inner_height * count / highest, 1)
            bars.append({
                "x": round(frame.left + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                "y": round(frame.top + frame.inner_height - h, 1), "h": h, "count": count,
                "week_start": week["week_start"], "notes": week["notes"],
            })  # fmt: skip
        rows.append({"name": name, "total": totals[name], "bars": bars})
    return {
        "frame": frame,
        "rows": rows,
        "first_week": weekly[0]["week_start"],
        "last_week": weekly[-1]["week_start"],
        "weeks": [w["week_start"] for w in weekly],
    }
