"""Configuration from environment variables only. Each class is a complete set of settings."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _development_secret_key() -> str:
    """A random key kept in instance/ so that local restarts keep sessions valid."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _cores() -> int:
    """The CPU cores this process may run on (a container's share, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def rate_limit_store_warning(workers: int, storage_uri: str) -> str | None:
    """What to tell the operator when several worker processes would each count the rate limits alone, or None."""
    if workers <= 1 or not storage_uri.startswith("memory://"):
        return None
    return (
        f"RATE LIMITS NOT SHARED: {workers} worker processes each count the rate limits in their own memory "
        f"(RATELIMIT_STORAGE_URI={storage_uri}), so a client gets up to {workers} times the configured limit. "
        "Run one process with threads (WEB_CONCURRENCY=1, the default of `make run`) or point "
        "RATELIMIT_STORAGE_URI at a store all of them share, e.g. redis://127.0.0.1:6379."
    )


class Config:
    """Production-shaped defaults; a local run (PORTAL_ENV=development) relaxes only cookie security."""

    ENVIRONMENT = os.environ.get("PORTAL_ENV", "production")
    SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
    # Encrypts the TOTP secrets at rest (portal/encryption.py). Unset: a key derived from SECRET_KEY, like
    # SECRET_KEY's own default; set a real one in production. Old keys stay readable until `portal secrets rotate`.
    DATA_ENCRYPTION_KEY = os.environ.get("DATA_ENCRYPTION_KEY", "")
    DATA_ENCRYPTION_OLD_KEYS = os.environ.get("DATA_ENCRYPTION_OLD_KEYS", "")
    DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.db'}")
    SITE_NAME = os.environ.get("SITE_NAME", "OPT Portal")
    SHOW_GOV_BANNER = _flag("SHOW_GOV_BANNER")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8000")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024))

    # Sessions and cookies (issue 3 hardens these further).
    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", ENVIRONMENT != "development")
    REMEMBER_COOKIE_HTTPONLY = True

    # Forms
    WTF_CSRF_TIME_LIMIT = 3600
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    # Passwords: OWASP's minimum for argon2id is 19 MiB, t=2, p=1.
    ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", 2))
    ARGON2_MEMORY_COST = int(os.environ.get("ARGON2_MEMORY_COST", 19 * 1024))
    ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", 1))
    # At most this many hashes at once per process (one core each); with several worker processes, give each its
    # share of the cores. A request waits at most ARGON2_QUEUE_TIMEOUT seconds for a turn, then gets a 503 asking
    # to try again in ARGON2_RETRY_AFTER seconds, before anything is written (portal/services/passwords.py).
    ARGON2_MAX_CONCURRENT = int(os.environ.get("ARGON2_MAX_CONCURRENT", 0)) or _cores()
    ARGON2_QUEUE_TIMEOUT = float(os.environ.get("ARGON2_QUEUE_TIMEOUT", 1.5))
    ARGON2_RETRY_AFTER = int(os.environ.get("ARGON2_RETRY_AFTER", 5))

    # Rate limits: memory is per process (`make run` serves one, with threads); set RATELIMIT_STORAGE_URI=redis://...
    # for several processes or servers (gunicorn.conf.py warns at start when several count alone).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Per client address, on top of the per-account cool-downs (issue 3 point 3).
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "20 per minute; 200 per hour")
    LINK_RATE_LIMIT = os.environ.get("LINK_RATE_LIMIT", "10 per minute; 50 per hour")

    # Email
    MAIL_FROM = os.environ.get("MAIL_FROM", "OPT Portal <no-reply@opt-portal.example>")
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", 25))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_TLS = os.environ.get("SMTP_TLS", "starttls")  # none | starttls | ssl
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", 30))
    # Without SMTP_HOST the worker delivers into this directory, shown to operators at /operator/mailbox.
    MAILBOX_DIR = os.environ.get("MAILBOX_DIR", str(INSTANCE_DIR / "mailbox"))
    EMAIL_MAX_ATTEMPTS = int(os.environ.get("EMAIL_MAX_ATTEMPTS", 6))
    EMAIL_RETRY_BASE_SECONDS = float(os.environ.get("EMAIL_RETRY_BASE_SECONDS", 30))
    # A claimed email whose worker has not recorded it within this time is sent again (same Message-ID).
    EMAIL_CLAIM_LEASE_SECONDS = float(os.environ.get("EMAIL_CLAIM_LEASE_SECONDS", 600))


class DevelopmentConfig(Config):
    ENVIRONMENT = "development"
    SESSION_COOKIE_SECURE = False


class TestConfig(Config):
    """Fast and isolated: cheap argon2, CSRF off unless a test turns it on."""

    ENVIRONMENT = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    DATA_ENCRYPTION_KEY = ""
    DATA_ENCRYPTION_OLD_KEYS = ""
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    # A loaded test machine must not turn a slow thread into a 503; the tests of the bound set their own wait.
    ARGON2_QUEUE_TIMEOUT = 30.0
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    SHOW_GOV_BANNER = False
    SITE_NAME = "OPT Portal"
