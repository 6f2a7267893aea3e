"""Holding the process's hashing slots and counting argon2 runs, for the tests of overload and of hash costs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from portal.services import passwords


@contextmanager
def hash_in_flight(app) -> Iterator[None]:
    """Another request's hash holds a slot for the block (with ARGON2_MAX_CONCURRENT=1, the only one)."""
    held, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def hashing():
        try:
            with app.app_context(), passwords.hashing_slot():
                held.set()
                release.wait(timeout=60)
        except BaseException as error:  # noqa: BLE001  (reported by the test below, not lost in the thread)
            failures.append(error)
            held.set()

    thread = threading.Thread(target=hashing, daemon=True)
    thread.start()
    assert held.wait(timeout=60) and not failures, failures
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=60)
    assert not thread.is_alive() and not failures, failures


def count_argon2_runs(monkeypatch) -> list[str]:
    """The argon2 runs from now on, in order: "hash" or "verify" (a rehash check runs no argon2)."""
    runs: list[str] = []
    real = passwords.password_hasher

    class Counting:
        def __init__(self, hasher):
            self._hasher = hasher

        def hash(self, password):
            runs.append("hash")
            return self._hasher.hash(password)

        def verify(self, stored, password):
            runs.append("verify")
            return self._hasher.verify(stored, password)

        def check_needs_rehash(self, stored):
            return self._hasher.check_needs_rehash(stored)

    monkeypatch.setattr(passwords, "password_hasher", lambda: Counting(real()))
    return runs
