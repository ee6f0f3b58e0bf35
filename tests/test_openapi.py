"""The OpenAPI description matches the routes the app really has."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from service.openapi import build_spec

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def registered_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        # Only the API is described; the web app's pages are HTML for people.
        if not (rule.rule.startswith("/api/") or rule.rule in ("/healthz", "/readyz")):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_every_route_is_described_and_nothing_else(app: Flask, client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    described = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    assert described == registered_routes(app)


def test_every_operation_documents_its_answers(app: Flask) -> None:
    spec = build_spec(app)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), (path, method)
            assert operation.get("responses"), (path, method)
            if "{" in path:
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert names == set(re.findall(r"{(\w+)}", path)), (path, method)


def test_schema_references_resolve(app: Flask) -> None:
    spec = build_spec(app)
    text = str(spec)
    for name in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert name in spec["components"]["schemas"], name
    public = {"/healthz", "/readyz", "/api/v1/accounts", "/api/v1/sessions", "/api/v1/openapi.json"}
    public_operations = {("/api/v1/tokens", "post")}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            is_public = path in public or (path, method) in public_operations
            assert (operation.get("security") == []) == is_public, (path, method)
