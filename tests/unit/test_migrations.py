"""The migrations build the schema on an empty database, and agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.models import Base


@pytest.fixture
def migrated_app(fresh_database_url):
    class MigrationConfig(TestConfig):
        DATABASE_URL = fresh_database_url

    app = create_app(MigrationConfig)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_builds_every_table(migrated_app, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_models_and_migrations_agree(migrated_app, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_migrated_events_are_append_only(migrated_app, fresh_database_url):
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO events (occurred_at, actor_kind, actor_label, event_type, reported_late) "
                                    "VALUES (CURRENT_TIMESTAMP, 'system', 'test', 'test.event', false)"))  # fmt: skip
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("UPDATE events SET event_type = 'changed'"))
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("DELETE FROM events"))
    finally:
        engine.dispose()


def test_downgrade_to_base_and_back(migrated_app):
    downgrade(revision="base")
    upgrade()
