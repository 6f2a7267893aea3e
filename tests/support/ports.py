"""Loopback ports for the servers a test session starts (PostgreSQL, SMTP sinks, gunicorn, Redis).

`make test` runs its SQLite and PostgreSQL halves side by side. Each half draws its ports from its own range, below
Linux's ephemeral range (32768 and up), so neither half nor an outgoing connection can be handed a port the other
half has just chosen but not yet bound.
"""

from __future__ import annotations

import os
import random
import socket

LOOPBACK = "127.0.0.1"
PORT_RANGES = {"sqlite": range(20000, 26000), "postgresql": range(26000, 32000)}


def port_range(database: str | None = None) -> range:
    """The ports this test session may use: its half's range."""
    return PORT_RANGES.get(database or os.environ.get("PORTAL_TEST_DB", "sqlite"), PORT_RANGES["sqlite"])


def free_port() -> int:
    """A port in this half's range that nothing is bound to now."""
    candidates = list(port_range())
    random.shuffle(candidates)
    for port in candidates[:500]:
        with socket.socket() as sock:
            try:
                sock.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {port_range()}")
