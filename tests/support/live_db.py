"""A second app on a real, committed database (fresh_database_url), for tests that run worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db
from portal.models import Base

PORTAL = str(Path(sys.executable).parent / "portal")


def live_app(database_url: str, **settings):
    """An app on ``database_url`` with the schema created; its session commits for real."""

    class LiveConfig(TestConfig):
        DATABASE_URL = database_url

    for key, value in settings.items():
        setattr(LiveConfig, key, value)
    application = create_app(LiveConfig)
    with application.app_context():
        Base.metadata.create_all(db.engine)
    return application


@contextmanager
def live_session(application):
    with application.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()


def portal_env(database_url: str, instance_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SMTP_", "EMAIL_", "FLASK_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="worker-test-secret",
        PORTAL_INSTANCE_DIR=str(instance_dir),
        MAILBOX_DIR=str(instance_dir / "mailbox"),
        PORTAL_ENV="test",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def start_portal(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([PORTAL, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
