"""Homeward's web service: the application factory."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

WEB_DIR = Path(__file__).resolve().parent.parent / "web"


def configure_logging(level: str) -> None:
    """Log to stderr with times; never at DEBUG in production, where ids are logged."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s",
    )


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app from HOMEWARD_* settings, with ``test_config`` taking precedence."""
    from service import (
        api_accounts,
        api_insights,
        api_notes,
        api_sharing,
        auth,
        health,
        openapi,
        queueing,
        vault,
    )
    from service.config import load_settings
    from service.db import db
    from service.errors import register_error_handlers
    from service.headers import init_app as init_security_headers
    from service.storage import AudioStore

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(WEB_DIR / "templates"),
        static_folder=str(WEB_DIR / "static"),
    )
    settings = load_settings(overrides=test_config, default_data_dir=Path(app.instance_path))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.resolved_audio_dir.mkdir(parents=True, exist_ok=True)
    app.config.update(
        HOMEWARD=settings,
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        # The audio limit plus room for the small form fields that come with it.
        MAX_CONTENT_LENGTH=(settings.max_upload_mb << 20) + (64 << 10),
        MAX_FORM_MEMORY_SIZE=1 << 20,
        JSON_SORT_KEYS=False,
    )
    db.init_app(app, settings.resolved_database_url)
    queueing.init_app(app, settings)
    auth.init_app(app, settings.password_time_cost, settings.password_memory_kib)
    vault.init_app(app)
    app.extensions["homeward.audio"] = AudioStore(settings.resolved_audio_dir)
    register_error_handlers(app)
    for module in (health, api_accounts, api_notes, api_sharing, api_insights, openapi):
        app.register_blueprint(module.bp)
    from service import pages  # the web app's pages (web/templates, web/static)

    pages.init_app(app)
    init_security_headers(app)
    return app
