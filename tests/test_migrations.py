"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from service.db import db
from service.migrate import include_object, upgrade
from service.models import Base


def test_migrated_database_matches_the_models(app: Flask) -> None:
    engine = db.engine_for(app)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert context.get_current_revision() is not None
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    tables = set(inspect(engine).get_table_names())
    assert tables >= {t.name for t in Base.metadata.sorted_tables}
    if engine.dialect.name == "sqlite":
        assert "notes_fts" in tables
    else:
        assert "ix_notes_search" in {i["name"] for i in inspect(engine).get_indexes("notes")}


def test_upgrade_twice_is_harmless(app: Flask) -> None:
    upgrade(db.engine_for(app))
    upgrade(db.engine_for(app))
