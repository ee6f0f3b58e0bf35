"""The OpenAPI 3 description, generated from the views' docstrings with apispec."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.yaml_utils import load_operations_from_docstring
from apispec_webframeworks.flask import FlaskPlugin
from flask import Blueprint, Flask, current_app, jsonify

bp = Blueprint("openapi", __name__)

_STRING = {"type": "string"}
_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": _STRING, "message": _STRING},
            }
        },
    },
    "AccountCreate": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {
            "email": {"type": "string", "format": "email"},
            "password": {"type": "string", "minLength": 12, "maxLength": 256},
            "role": {"type": "string", "enum": ["client", "therapist"], "default": "client"},
        },
    },
    "Account": {
        "type": "object",
        "properties": {"id": _STRING, "email": _STRING, "role": _STRING},
    },
    "Credentials": {
        "type": "object",
        "required": ["email", "password"],
        "properties": {"email": _STRING, "password": _STRING},
    },
    "Token": {"type": "object", "properties": {"token": _STRING, "expires_at": _TIME}},
    "NoteUpload": {
        "type": "object",
        "required": ["audio"],
        "properties": {
            "audio": {"type": "string", "format": "binary"},
            "recorded_at": _TIME,
            "mood": {"type": "integer", "minimum": 1, "maximum": 10},
            "tags": {"type": "string", "description": "comma-separated, e.g. tool:breathing"},
            "title": {"type": "string", "maxLength": 200},
        },
    },
    "NotePatch": {
        "type": "object",
        "minProperties": 1,
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": 200},
            "mood": {"type": "integer", "minimum": 1, "maximum": 10, "nullable": True},
            "tags": {"type": "array", "items": _STRING},
            "transcript": {"type": "string"},
        },
    },
    "Segment": {
        "type": "object",
        "properties": {"start": {"type": "number"}, "end": {"type": "number"}, "text": _STRING},
    },
    "Tag": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "source": {"type": "string", "enum": ["client", "auto"]},
            "status": {"type": "string", "nullable": True},
            "evidence": {"type": "array", "nullable": True, "items": {"type": "object"}},
        },
    },
    "Note": {
        "type": "object",
        "properties": {
            "id": _STRING,
            "status": {"type": "string", "enum": ["queued", "processing", "transcribed", "failed"]},
            "progress": {"type": "number", "minimum": 0, "maximum": 1},
            "error": {
                "allOf": [{"$ref": "#/components/schemas/Error/properties/error"}],
                "nullable": True,
            },
            "title": _STRING,
            "recorded_at": _TIME,
            "created_at": _TIME,
            "duration_s": {"type": "number", "nullable": True},
            "mood": {"type": "integer", "nullable": True},
            "mood_source": {"type": "string", "nullable": True},
            "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
            "shared_with": {"type": "array", "items": {"type": "object"}},
            "transcript": {
                "type": "object",
                "nullable": True,
                "properties": {
                    "text": _STRING,
                    "language": _STRING,
                    "engine": _STRING,
                    "model": _STRING,
                    "segments": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Segment"},
                    },
                },
            },  # fmt: skip
        },
    },
    "Timeline": {
        "type": "object",
        "properties": {
            "notes": {"type": "array", "items": {"$ref": "#/components/schemas/Note"}},
            "next_cursor": {"type": "string", "nullable": True},
        },
    },
}


def build_spec(app: Flask) -> dict[str, Any]:
    """Describe every documented view of ``app`` (those whose docstring has a YAML part)."""
    spec = APISpec(
        title="Homeward API",
        version="1",
        openapi_version="3.0.3",
        plugins=[FlaskPlugin()],
        info={"description": "Voice reflections after therapy: upload, transcribe, timeline."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    with app.test_request_context():
        for endpoint, view in app.view_functions.items():
            if endpoint == "static" or not load_operations_from_docstring(view.__doc__ or ""):
                continue
            spec.path(view=view, app=app)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    return document


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Any:
    """Serve this API's OpenAPI 3 description.
    ---
    get:
      summary: The OpenAPI description of this API
      security: []
      responses:
        200: {description: OpenAPI 3 document}
    """
    return jsonify(build_spec(current_app._get_current_object()))  # type: ignore[attr-defined]
