"""One shape for every error: ``{"error": {"code", "message"}}`` with a fitting status."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """An error a client can act on: a status, a stable code and a sentence saying what to do."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def not_found(what: str = "note") -> ApiError:
    # The same answer whether the thing does not exist or belongs to someone else.
    return ApiError(404, "not_found", f"no {what} with that id")


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def wants_page() -> bool:
    """A browser asking for a page (not the API, not a static file): answer in HTML."""
    if request.path.startswith(("/api/", "/static/")):
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        return jsonify(error_body(exc.code, exc.message)), exc.status, exc.headers

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        code = (exc.name or "error").lower().replace(" ", "_")
        message = {
            404: "nothing here: check the URL",
            405: "that method is not allowed on this URL",
            413: f"the upload is larger than the limit of "
            f"{(app.config.get('MAX_CONTENT_LENGTH') or 0) // (1 << 20)} MiB",
        }.get(exc.code or 0, exc.description or "request failed")
        if exc.code == 404 and wants_page():
            from service.page_auth import error_page

            return error_page(404, "There is no page at this address. Check the link, or start "
                                   "again from your home page.")  # fmt: skip
        return jsonify(error_body(code, message)), exc.code or 500

    from service.crypto import DecryptionError

    @app.errorhandler(DecryptionError)
    def _integrity(exc: DecryptionError) -> Any:
        # Loud and specific, never another note's data: the stored bytes are not this note's.
        app.logger.error("integrity check failed: %s", exc)
        message = ("this note's stored data failed its integrity check; ask your Homeward "
                   "administrator to restore it from a backup")
        return jsonify(error_body("integrity_error", message)), 500

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        # The message stays generic: exception text may hold note content.
        app.logger.exception("unhandled error: %s", type(exc).__name__)
        return jsonify(error_body("internal", "something went wrong on our side")), 500
