"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from service import queueing
from service.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """Say the process is up.
    ---
    get:
      summary: Liveness
      security: []
      responses:
        200: {description: The process answers}
    """
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Any:
    """Say whether the database and Redis answer.
    ---
    get:
      summary: Readiness
      security: []
      responses:
        200: {description: Database and Redis reachable}
        503: {description: One of them is not}
    """
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"unreachable ({type(exc).__name__})"
    try:
        queueing.redis_connection().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"unreachable ({type(exc).__name__})"
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), (
        200 if ready else 503
    )
