"""The ``homeward`` command: up, worker, transcribe, db upgrade, web, config."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from service import configure_logging, create_app


def _exec(*args: str) -> None:
    """Replace this process, so signals reach the real server or worker directly."""
    os.execv(sys.executable, [sys.executable, *args])  # noqa: S606 - our own interpreter


def settings_table(rows: list[tuple[str, str, str]]) -> str:
    """The configuration table of the README, in Markdown."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {f'`{default}`' if default else '(empty)'} | {doc} |"
              for name, default, doc in rows]
    return "\n".join(lines)


def ensure_master_key() -> None:
    """For `homeward up` without a configured key: keep one in the user's config folder.

    It lives outside the data folder on purpose, so a copy of the data is not a copy of the key.
    """
    if os.environ.get("HOMEWARD_MASTER_KEY") or os.environ.get("HOMEWARD_MASTER_KEY_FILE"):
        return
    from service.crypto import new_master_key_file

    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    key_file = config_home / "homeward" / "master.key"
    if not key_file.exists():
        new_master_key_file(key_file)
        click.echo(f"created a master key in {key_file}; back it up apart from the data", err=True)
    os.environ["HOMEWARD_MASTER_KEY_FILE"] = str(key_file)


@click.group()
def main() -> None:
    """Homeward: voice reflections after therapy."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--demo",
    "demo_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send this recording through the pipeline once the stack is up.",
)
@click.option("--exit-after-demo", is_flag=True, help="Stop everything after the demo note.")
def up(host: str, port: int, workers: int, demo_file: Path | None, exit_after_demo: bool) -> None:
    """Start Redis (if none answers), apply migrations, start web and worker(s)."""
    from service.db import db
    from service.demo import DemoError, run_demo
    from service.migrate import upgrade
    from service.stack import Stack

    ensure_master_key()
    app = create_app()
    settings = app.config["HOMEWARD"]
    configure_logging(settings.log_level)
    upgrade(db.engine_for(app))
    stack = Stack(settings=settings, host=host, port=port, workers=workers)
    stack.install_signal_handlers()
    code = 0
    try:
        stack.start()
        click.echo(f"Homeward is up at {stack.url} (data in {settings.data_dir.resolve()})")
        if demo_file is not None:
            run_demo(stack.url, demo_file, echo=click.echo)
        if not exit_after_demo:
            click.echo("Press Ctrl-C to stop.")
            stack.supervise()
    except DemoError as exc:
        click.echo(f"demo failed: {exc}", err=True)
        code = 1
    finally:
        stack.stop()
    sys.exit(code)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Work the transcription queue (the engine is loaded once per process)."""
    _exec("-m", "workers", "worker", *(["--burst"] if burst else []))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def transcribe(file: str) -> None:
    """Transcribe one recording through the worker's code path and print it with its tags."""
    _exec("-m", "workers", "transcribe", file)


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)  # noqa: S104 - a server's job
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--processes", default=2, show_default=True, type=int)
def web(host: str, port: int, processes: int) -> None:
    """Serve the web app and API with gunicorn (production)."""
    _exec(
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(processes),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "service.wsgi:app",
    )


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from service.db import db as database
    from service.migrate import upgrade

    app = create_app()
    upgrade(database.engine_for(app))
    click.echo(
        f"database at {app.config['HOMEWARD'].resolved_database_url.split('@')[-1]} is up to date"
    )


@main.command("config")
def show_config() -> None:
    """Print every setting, its default and what it is for (Markdown)."""
    from service.config import describe_settings

    click.echo(settings_table(describe_settings()))
