"""Who is looking at a page: the session cookie, the account's role and the form's CSRF token.

Pages answer in HTML: a visitor who is not signed in is sent to the sign-in page, a wrong role
or a stale form gets a short page that says what to do, and an ApiError raised by the domain
functions (a note that is not yours, say) is shown as the same 404 the API gives.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from service import sessions
from service.db import db
from service.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])

#: What an error page says, by status, when the domain gave no better sentence.
ERROR_TITLES = {
    403: "This page isn't for this account",
    404: "Nothing here",
    409: "Not ready yet",
    422: "That didn't work",
    429: "Please wait a moment",
}


def error_page(status: int, message: str) -> tuple[str, int]:
    title = ERROR_TITLES.get(status, "Something went wrong")
    return render_template("error.html", title=title, message=message, status=status), status


def page_blueprint(name: str) -> Blueprint:
    """A blueprint whose ApiErrors become HTML pages instead of JSON."""
    bp = Blueprint(name, __name__)

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        message = exc.message[:1].upper() + exc.message[1:] + "."
        return error_page(exc.status, message)

    return bp


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after sign-in, or None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target.rstrip("?")


def home_for(role: str) -> str:
    return (
        url_for("client_pages.record") if role == "client" else url_for("therapist_pages.clients")
    )


def from_this_site() -> bool:
    """True when a form was posted from one of our own pages (stops login CSRF).

    Current browsers send Sec-Fetch-Site; older ones send Origin on a POST. A request with
    neither is not a browser following another site's form."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def signed_in(*roles: str) -> Callable[[F], F]:
    """Require a signed-in browser (and one of ``roles``); POSTs must carry ``csrf_token``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            row = sessions.resolve(
                db.session, request.cookies.get(sessions.COOKIE), current_app.config["HOMEWARD"]
            )
            if row is None:
                back = request.full_path if request.method == "GET" else None
                return redirect(url_for("pages.sign_in", next=safe_next(back)))
            g.account, g.web_session = row.account, row  # the error pages show the menu too
            if roles and row.account.role not in roles:
                return error_page(403, f"This page is for {' or '.join(roles)} accounts.")
            if request.method == "POST":
                sent = request.form.get("csrf_token", "")
                if not hmac.compare_digest(sent, row.csrf_token):
                    return error_page(
                        403, "The form was stale or came from another site. Go back, reload "
                        "the page and try again.",
                    )  # fmt: skip
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
