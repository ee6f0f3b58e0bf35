"""Property-based fuzzing of every documented operation (schemathesis): never a 5xx.

Requests are generated from the OpenAPI description the app serves, sent through the WSGI app
with a signed-in client's bearer token, against real Redis and SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.conftest import DATA, PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"


@pytest.fixture
def fuzz_app(app: Flask) -> Iterator[tuple[Flask, dict[str, str]]]:
    client = app.test_client()
    client.post("/api/v1/accounts", json={"email": "fuzz@example.org", "password": PASSWORD})
    token = client.post("/api/v1/tokens",
                        json={"email": "fuzz@example.org", "password": PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    with (DATA / "hotwords.mp3").open("rb") as fh:  # something for ids to hit, sometimes
        client.post("/api/v1/notes", headers=headers, data={"audio": (fh, "n.mp3")})
    yield app, headers


def test_no_operation_answers_with_a_server_error(
    fuzz_app: tuple[Flask, dict[str, str]],
) -> None:
    app, headers = fuzz_app
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        if (operation.method.upper(), operation.path) == ("DELETE", "/api/v1/accounts/me"):
            continue  # erasing the fuzzing account would end the run; erasure has its own tests

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        fuzz()
