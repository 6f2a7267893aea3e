"""What every connection of the app is set up with, on the database the suite runs against."""

from __future__ import annotations

from sqlalchemy import text

from portal import create_app
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
