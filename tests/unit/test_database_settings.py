"""What every connection of the app is set up with, on the database the suite runs against."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from portal import create_app
from portal import db as portal_db
from portal.config import TestConfig
from portal.extensions import db


def test_each_connection_gets_its_databases_settings(app):
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # JIT compiling cost 15-20 ms on the DSO alert counts, which run in 0.1 ms without it.
            assert connection.execute(text("SHOW jit")).scalar() == "off"
        else:
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_configured_connect_arguments_are_kept(database_url):
    class Configured(TestConfig):
        DATABASE_URL = database_url
        DATABASE_ENGINE_OPTIONS = (
            {"connect_args": {"options": "-c jit=on"}} if database_url.startswith("postgresql") else {}
        )

    app = create_app(Configured)
    with app.app_context():
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                assert connection.execute(text("SHOW jit")).scalar() == "on"  # an operator's choice wins
            else:
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def _app_on(database_url: str, **engine_options):
    class Configured(TestConfig):
        DATABASE_URL = database_url
        DATABASE_ENGINE_OPTIONS = engine_options

    return create_app(Configured)


WRITES_THAT_ROLL_BACK = [
    "INSERT INTO notes VALUES ('draft')",
    "WITH draft AS (SELECT 'draft' AS body) INSERT INTO notes SELECT body FROM draft",
    "  insert into notes values ('draft')",
]


@pytest.mark.parametrize("write", WRITES_THAT_ROLL_BACK)
def test_a_transaction_that_wrote_and_rolls_back_leaves_nothing(fresh_database_url, write):
    # On PostgreSQL a transaction that only read ends with COMMIT (below); one that wrote must still roll back.
    app = _app_on(fresh_database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE notes (body text)"))
        with db.engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM notes"))
            connection.execute(text(write))
            connection.execute(text("SELECT count(*) FROM notes"))
            connection.rollback()
        session = db.session
        session.execute(text("SELECT count(*) FROM notes"))
        session.execute(text(write))
        session.rollback()
        session.close()
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM notes")).scalar() == 0
        db.engine.dispose()


def test_postgresql_keeps_prepared_statements_across_requests_that_only_read(fresh_database_url):
    app = _app_on(fresh_database_url, pool_size=1, max_overflow=0)
    with app.app_context():
        for _ in range(8):  # psycopg prepares a statement on its fifth run
            db.session.execute(text("SELECT 1 + :n"), {"n": 1})
            db.session.close()  # as every request ends: a read rolls back
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
                assert prepared >= 1  # a ROLLBACK would have made psycopg forget it
            else:
                assert connection.execute(text("SELECT 1 + :n"), {"n": 1}).scalar() == 2
        db.engine.dispose()


def test_a_connection_dropped_while_idle_is_replaced_without_an_error(fresh_database_url, monkeypatch):
    monkeypatch.setattr(portal_db, "PING_AFTER_IDLE_SECONDS", 0.0)
    app = _app_on(fresh_database_url, pool_size=1, max_overflow=0)
    with app.app_context():
        with db.engine.connect() as connection:
            if connection.dialect.name != "postgresql":
                assert connection.execute(text("SELECT 1")).scalar() == 1
                return
            first_backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        terminator = create_engine(fresh_database_url)
        with terminator.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_backend})
        terminator.dispose()
        with db.engine.connect() as connection:  # the ping finds it dead; the pool opens a new one
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != first_backend
        db.engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(fresh_database_url, monkeypatch):
    app = _app_on(fresh_database_url, pool_size=1, max_overflow=0)
    with app.app_context():
        pings = []
        monkeypatch.setattr(db.engine.dialect, "do_ping", lambda connection: pings.append(connection) or True)
        for _ in range(3):
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        assert pings == []
        if db.engine.dialect.name == "postgresql":
            monkeypatch.setattr(portal_db, "PING_AFTER_IDLE_SECONDS", 0.0)
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            assert len(pings) == 1
        db.engine.dispose()
