"""How `make run` serves: one process with threads by default, and a loud warning when several processes would each
count the rate limits in their own memory (the served check is tests/integration/test_make_run.py)."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from portal.config import Config, rate_limit_store_warning

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("workers", "storage", "warns"),
    [
        (1, "memory://", False),  # make run's default: one process counts every request
        (2, "memory://", True),  # WEB_CONCURRENCY=2 alone: each process would let a client through the limit
        (4, "memory://", True),
        (2, "redis://127.0.0.1:6379", False),  # a shared store: any number of processes
    ],
)
def test_gunicorn_warns_at_start_when_workers_count_rate_limits_alone(monkeypatch, workers, storage, warns):
    monkeypatch.setattr(Config, "RATELIMIT_STORAGE_URI", storage)
    logged = []
    server = SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=SimpleNamespace(warning=logged.append))
    runpy.run_path(str(ROOT / "gunicorn.conf.py"))["when_ready"](server)
    if warns:
        assert len(logged) == 1 and f"{workers} worker processes" in logged[0]
        assert "RATELIMIT_STORAGE_URI" in logged[0] and "WEB_CONCURRENCY=1" in logged[0]
    else:
        assert logged == []


def test_make_run_serves_one_process_with_threads_unless_told(monkeypatch):
    for name in ("WEB_CONCURRENCY", "PORTAL_THREADS", "PORTAL_BIND"):
        monkeypatch.delenv(name, raising=False)
    serve = runpy.run_path(str(ROOT / "scripts" / "serve.py"))
    command = serve["gunicorn_command"]()
    option = {flag: command[command.index(flag) + 1] for flag in ("--workers", "--threads", "--worker-class", "--bind")}
    assert option == {"--workers": "1", "--threads": "8", "--worker-class": "gthread", "--bind": "127.0.0.1:8000"}
    assert command[command.index("--config") + 1] == str(ROOT / "gunicorn.conf.py")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert serve["gunicorn_command"]()[command.index("--workers") + 1] == "3"


def test_the_warning_names_the_fix():
    assert rate_limit_store_warning(1, "memory://") is None
    assert rate_limit_store_warning(3, "redis://cache:6379/0") is None
    assert "up to 3 times the configured limit" in rate_limit_store_warning(3, "memory://")
