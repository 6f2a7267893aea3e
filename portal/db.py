"""A small Flask extension around plain SQLAlchemy 2: one engine, one scoped session.

We do not use Flask-SQLAlchemy: we need control over how transactions begin
(SQLite ``BEGIN IMMEDIATE`` for writes) and over binding the session to an
outer test transaction, which Flask-SQLAlchemy's session does not honour.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask.globals import app_ctx
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from portal.models.base import Base

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _wants_write_lock() -> bool:
    """Outside a request (CLI, worker) or on a mutating request, take the write lock up front."""
    if not has_request_context():
        return True
    return request.method not in READ_ONLY_METHODS


def _tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writes.

    pysqlite's own transaction handling is switched off so that we can issue
    BEGIN ourselves; a deferred BEGIN that later upgrades to a write lock is
    what produces "database is locked" under concurrency.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


# A connection that sat in the pool longer than this is pinged before use; one in steady use is not.
PING_AFTER_IDLE_SECONDS = 10.0
_CHECKED_IN_AT = "portal_checked_in_at"
_WROTE = "portal_wrote"


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle for ``PING_AFTER_IDLE_SECONDS``.

    ``pool_pre_ping`` pings on every checkout, a round trip on every request. What it guards against, a server
    restart or a firewall that drops idle connections, leaves a connection dead while it sits unused; one in steady
    use that breaks fails its request like any statement would, and that error makes SQLAlchemy replace every
    connection taken before it.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError() from error  # the pool opens a new connection and tries again


def _end_reads_with_commit(engine: Engine) -> None:
    """End a PostgreSQL transaction that only read with COMMIT, not ROLLBACK: the same to the server, but psycopg
    forgets every prepared statement on a ROLLBACK, and a GET ends with one, so none was ever prepared.

    "Only read": every statement SQLAlchemy sent since BEGIN was a SELECT (any other, even SET, counts as a
    write and the transaction rolls back as before); an aborted transaction always rolls back.
    """

    @event.listens_for(engine, "begin")
    def _began(connection):
        connection.info.pop(_WROTE, None)

    @event.listens_for(engine, "before_cursor_execute")
    def _sent(connection, _cursor, statement, _parameters, _context, _executemany):
        if statement[:6].upper() != "SELECT":
            connection.info[_WROTE] = True

    @event.listens_for(engine, "rollback")
    def _rolling_back(connection):
        if connection.info.pop(_WROTE, False):
            return
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection.info.transaction_status == TransactionStatus.INTRANS:
            dbapi_connection.commit()  # the ROLLBACK that follows finds no transaction and sends nothing


class AppSession(Session):
    """A session that talks to the current app's engine, unless bound to a connection (tests)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is not None:
            return bind
        if self.bind is not None:
            return self.bind
        return current_app.extensions["database_engine"]


def _app_context_id() -> int:
    return id(app_ctx._get_current_object())


class Database:
    """The engine per app and one session per app context; ``init_app`` binds them to an app."""

    metadata = Base.metadata

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(class_=AppSession, expire_on_commit=False), scopefunc=_app_context_id
        )

    @property
    def engine(self) -> Engine:
        return current_app.extensions["database_engine"]

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        options: dict[str, Any] = dict(app.config.get("DATABASE_ENGINE_OPTIONS", {}))
        if url.startswith("postgresql"):
            options.setdefault("pool_size", 5)
            # Short, indexed statements: PostgreSQL's JIT compiles any whose estimated cost is high (the alert counts
            # over a large school) and spends 15-20 ms doing it for a query that runs in 0.1 ms.
            connect_args = options.setdefault("connect_args", {})
            connect_args.setdefault("options", "-c jit=off")
        engine = create_engine(url, **options)
        if engine.dialect.name == "sqlite":
            _tune_sqlite(engine)
        if engine.dialect.name == "postgresql":
            if not options.get("pool_pre_ping"):
                _ping_idle_connections(engine)
            _end_reads_with_commit(engine)
        app.extensions["database"] = self
        app.extensions["database_engine"] = engine

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    def bind_to(self, connection) -> None:
        """Bind the session to an open connection (tests join an outer transaction)."""
        self.session.remove()
        self.session.configure(bind=connection, join_transaction_mode="create_savepoint")

    def unbind(self) -> None:
        """Undo ``bind_to``: back to the current app's engine."""
        self.session.remove()
        self.session.configure(bind=None, join_transaction_mode="conditional_savepoint")

    def create_all(self) -> None:
        """Create every table and trigger: for tests and throwaway databases, not for deployments."""
        self.metadata.create_all(self.engine)
