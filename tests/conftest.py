"""Fixtures: the app on SQLite or PostgreSQL (PORTAL_TEST_DB), one rolled-back transaction per test,
factories, and sign-in helpers. `make test` runs the whole suite once per database."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, event

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.models import Base
from portal.services.site_state import PERIODIC, forget_site_state
from tests.support.postgres import PostgresServer, find_pg_bin

TEST_DB = os.environ.get("PORTAL_TEST_DB", "sqlite")

# Hypothesis, for every test in both halves of `make test`: repeatable (derandomized, no example database), and
# nothing that depends on how busy the machine is (no deadline, no too_slow health check), so a loaded CI runner
# cannot fail a test that passes on a quiet one. Example counts stay each test's own (Hypothesis's 100 unless the
# test says otherwise). The count-based health checks (data_too_large, filter_too_much) stay on: they do not depend
# on speed, and a test that needs one off says so itself. HYPOTHESIS_PROFILE=explore draws random examples instead.
settings.register_profile(
    "portal", deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", parent=settings.get_profile("portal"), derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "portal")


def pytest_report_header(config):
    return f"database: {TEST_DB}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """One PostgreSQL server for the whole session (only when the PostgreSQL half runs)."""
    if TEST_DB != "postgresql":
        yield None
        return
    pg_bin = find_pg_bin()
    if pg_bin is None:
        pytest.exit("PostgreSQL 15 binaries not found: the PostgreSQL half cannot run here.", returncode=3)
    server = PostgresServer(pg_bin)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url(postgres_server, tmp_path_factory) -> str:
    """A fresh database for the session: a PostgreSQL database or an SQLite file."""
    if postgres_server is not None:
        return postgres_server.create_database("portal_test")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal_test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    """The app, with the schema created once for the session."""

    class SessionConfig(TestConfig):
        DATABASE_URL = database_url
        UPLOAD_DIR = str(_session_tmp_dir("uploads"))

    application = create_app(SessionConfig)
    with application.app_context():
        Base.metadata.create_all(db.engine)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _session_tmp_dir(name: str):
    path = Path(tempfile.mkdtemp(prefix=f"portal-{name}-"))
    return path


@pytest.fixture
def db_session(app):
    """The app's session, bound to a transaction rolled back after the test.

    Routes and services commit as usual; with join_transaction_mode="create_savepoint"
    their commits release savepoints inside the outer transaction, which we roll back.
    """
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.bind_to(connection)
        try:
            yield db.session
        finally:
            db.session.remove()
            if outer.is_active:
                outer.rollback()
            connection.close()
            db.unbind()


@pytest.fixture(autouse=True)
def _no_site_state_from_earlier_tests():
    """Each test's data is rolled back, so the process's copy of windows and upgrades must not outlive it."""
    forget_site_state()
    yield
    forget_site_state()


@pytest.fixture
def client(app, db_session):
    return app.test_client()


@pytest.fixture
def school(factory):
    return factory.school()


@pytest.fixture
def count_queries(app):
    """Count SQL statements issued inside a `with count_queries() as counter:` block.

    The site state's refresh (every few seconds per process, not per request) counts only with
    ``count_queries(periodic=True)``.
    """

    @contextmanager
    def counting(*, periodic: bool = False):
        counter = {"count": 0, "statements": []}

        def before_execute(conn, cursor, statement, parameters, context, executemany):
            if statement.strip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                return
            if not periodic and context is not None and context.execution_options.get(PERIODIC):
                return
            counter["count"] += 1
            counter["statements"].append(statement)

        event.listen(db.engine, "before_cursor_execute", before_execute)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before_execute)

    return counting


@pytest.fixture
def fresh_database_url(postgres_server, tmp_path) -> str:
    """An empty database of the current kind, for tests that run migrations or real commits."""
    if postgres_server is not None:
        return postgres_server.create_database(f"t_{uuid.uuid4().hex[:12]}")
    return f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture
def fresh_engine(fresh_database_url):
    engine = create_engine(fresh_database_url)
    yield engine
    engine.dispose()


pytest_plugins = ["tests.support.factories"]
