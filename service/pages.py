"""The web app's pages: signing up, in and out, the home redirect and the service worker.

The client's pages live in ``pages_notes``, ``pages_sharing`` and ``pages_insights``; the
therapist's in ``pages_therapist``. ``init_app`` registers them all.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from service import audit, ratelimit, sessions
from service.api_accounts import verify_sign_in  # rate limits and logs the attempt
from service.auth import EmailTaken, create_account
from service.db import db
from service.errors import ApiError
from service.page_auth import error_page, from_this_site, home_for, page_blueprint, safe_next
from service.queueing import redis_connection

bp = page_blueprint("pages")
#: Every page blueprint: HTML for people, authorised by tests/test_pages.py's own matrix.
PAGE_BLUEPRINTS = ("pages", "client_pages", "sharing_pages", "therapist_pages", "insight_pages")


def init_app(app: Flask) -> None:
    from service import pages_insights, pages_notes, pages_sharing, pages_therapist

    for module in (pages_insights, pages_notes, pages_sharing, pages_therapist):
        app.register_blueprint(module.bp)
    app.register_blueprint(bp)
    app.jinja_env.globals["static_version"] = lambda: static_version(app.static_folder or "")


@cache
def static_version(folder: str) -> str:
    """A short hash of every static file: names the service worker's cache, busts it on deploy."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _signed_in_account() -> Any:
    row = sessions.resolve(
        db.session, request.cookies.get(sessions.COOKIE), current_app.config["HOMEWARD"]
    )
    return row.account if row else None


@bp.get("/")
def home() -> Any:
    """Send a visitor to their home page, or to sign in."""
    account = _signed_in_account()
    return redirect(home_for(account.role) if account else url_for("pages.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """Show the sign-in form; on POST check the password and start a web session."""
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("sign_in.html", next=target, notice=request.args.get("notice"))
    if not from_this_site():
        return error_page(403, "Sign in from Homeward's own sign-in page.")
    email = request.form.get("email", "")
    try:
        account = verify_sign_in({"email": email, "password": request.form.get("password", "")})
    except ApiError as exc:
        error = (
            "That email and password don't match an account."
            if exc.status == 401
            else (exc.message[:1].upper() + exc.message[1:] + ".")
        )
        page = render_template("sign_in.html", next=target, error=error, email=email)
        return page, exc.status
    sessions.end(db.session, request.cookies.get(sessions.COOKIE))  # no session fixation
    raw, _row = sessions.start(db.session, account)
    response = redirect(target or home_for(account.role))
    sessions.set_cookie(response, raw, current_app.config["HOMEWARD"])
    return response


@bp.route("/sign-up", methods=["GET", "POST"])
def sign_up() -> Any:
    """Show the sign-up form; on POST create the account, then ask the person to sign in.

    An email that already has an account gets the same answer as a new one, as in the API, so
    the page never tells anyone whether an email is registered."""
    if request.method == "GET":
        return render_template("sign_up.html", role=request.args.get("role", "client"))
    if not from_this_site():
        return error_page(403, "Sign up from Homeward's own sign-up page.")
    form = request.form
    role = form.get("role", "client")
    try:
        ratelimit.hit(
            redis_connection(), ratelimit.subject_key("signup", request.remote_addr or "?"),
            current_app.config["HOMEWARD"].sign_up_limit, 3600,
        )  # fmt: skip
        create_account(db.session, form.get("email", ""), form.get("password", ""), role)
    except EmailTaken:
        pass
    except ApiError as exc:
        message = exc.message[:1].upper() + exc.message[1:] + "."
        page = render_template(
            "sign_up.html", error=message, email=form.get("email", ""), role=role
        )
        return page, exc.status
    return redirect(url_for("pages.sign_in", notice="created"))


@bp.post("/sign-out")
def sign_out() -> Any:
    """End this browser's session (a stale form still signs out: that is always safe)."""
    account = _signed_in_account()
    if account is not None:
        audit.record(db.session, account.id, account, "sign_out")
        db.session.commit()
    sessions.end(db.session, request.cookies.get(sessions.COOKIE))
    response = redirect(url_for("pages.sign_in", notice="signed-out"))
    sessions.clear_cookie(response)
    return response


@bp.get("/sw.js")
def service_worker() -> Any:
    """The service worker, from the site's root so that it may control every page."""
    folder = Path(current_app.static_folder or "") / "js"
    source = (folder / "sw.js").read_text(encoding="utf-8")
    version = static_version(current_app.static_folder or "")
    response = Response(source.replace("__VERSION__", version), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Any:
    """The web app manifest, so the record page can live on a phone's home screen."""
    return send_from_directory(
        current_app.static_folder or "", "manifest.webmanifest",
        mimetype="application/manifest+json",
    )  # fmt: skip


@bp.get("/offline")
def offline() -> Any:
    """What the service worker shows for a page it has not kept, when there is no connection."""
    return render_template("offline.html")
