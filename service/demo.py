"""A round trip through a running Homeward, over HTTP, as any client would make it."""

from __future__ import annotations

import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any


class DemoError(RuntimeError):
    pass


def _request(
    url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None
) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the URL is the stack we started
        url, data=body, method=method, headers=headers or {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own URL
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        raise DemoError(
            f"{method} {url}: {exc.code} {exc.read().decode(errors='replace')}"
        ) from None


def _json(url: str, payload: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return _request(url, "POST", json.dumps(payload).encode(), headers)


def _multipart(fields: dict[str, str], audio: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="{audio.name}"'
        f"\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
        + audio.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def run_demo(
    base_url: str, audio: Path, timeout_s: float = 300, echo: Any = print
) -> dict[str, Any]:
    """Sign up a demo client, upload ``audio``, wait for the transcript, read the timeline."""
    email = f"demo-{secrets.token_hex(4)}@homeward.invalid"
    password = secrets.token_urlsafe(18)
    _json(f"{base_url}/api/v1/accounts", {"email": email, "password": password, "role": "client"})
    token = _json(f"{base_url}/api/v1/tokens", {"email": email, "password": password})["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body, content_type = _multipart({"title": "After today's session"}, audio)
    note = _request(
        f"{base_url}/api/v1/notes", "POST", body, {**auth, "Content-Type": content_type}
    )
    echo(f"uploaded {audio.name}: note {note['id']} is {note['status']}")
    deadline, shown = time.monotonic() + timeout_s, -1.0
    while note["status"] in ("queued", "processing"):
        if time.monotonic() > deadline:
            raise DemoError(f"note still {note['status']} after {timeout_s:.0f} s")
        if note["progress"] != shown:
            echo(f"  {note['status']}: {note['progress']:.0%}")
            shown = note["progress"]
        time.sleep(0.3)
        note = _request(f"{base_url}/api/v1/notes/{note['id']}", headers=auth)
    if note["status"] != "transcribed":
        raise DemoError(f"note {note['status']}: {note['error']}")
    timeline = _request(f"{base_url}/api/v1/notes", headers=auth)
    echo(f"transcript ({note['transcript']['engine']}, {note['transcript']['model']}):")
    echo(f"  {note['transcript']['text']}")
    echo("tags: " + (", ".join(t["name"] for t in note["tags"]) or "none"))
    if note["mood"] is not None:
        echo(f"mood: {note['mood']}/10 (from the {note['mood_source']})")
    echo(
        f"timeline of {email}: {len(timeline['notes'])} note(s), "
        f"newest: {timeline['notes'][0]['title']!r}"
    )
    return {"note": note, "timeline": timeline}
