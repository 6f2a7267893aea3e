"""Password hashing with argon2id; parameters come from configuration.

Both hashing and checking normalise the password first, so no caller can forget to: a password typed on a
keyboard that sends "é" as one code point matches the same password typed as "e" plus a combining accent.

Every hash and check takes one of the process's hashing slots (ARGON2_MAX_CONCURRENT, the CPU count by default).
One argon2 run is tens of milliseconds of one core's time; when a crowd signs in at once (after an upgrade that
forces a new password, seed 000), hashing without a bound queues every request behind every other until they all
time out. With the bound, a request waits at most ARGON2_QUEUE_TIMEOUT for a slot and is otherwise refused whole
(HashingBusy: 503 with Retry-After), before anything was written.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

_SLOTS_KEY = "portal.hashing_slots"
_SLOTS_CREATED = threading.Lock()


class HashingBusy(Exception):
    """No hashing slot came free in time: the request is refused whole, to be tried again in ``retry_after`` seconds.

    Not a DomainError on purpose: routes put a DomainError's message on a form field with a 422, and a busy server
    is no fault in what the person typed; the web layer answers it with a 503 page (portal/web.py).
    """

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        self.message = f"Many students are signing in; try again in {retry_after} seconds."
        super().__init__(self.message)


class HashingSlots:
    """At most ``size`` argon2 computations at once; a caller waits at most ``wait`` seconds for a free slot.

    A thread that holds a slot takes no second one, so a service can take one slot around all the hashing one
    request needs (a sign-in and its rehash, a change and its checks): it then runs all of it or none of it.
    """

    def __init__(self, size: int, *, wait: float, retry_after: int) -> None:
        if size < 1:
            raise ValueError("ARGON2_MAX_CONCURRENT must be at least 1.")
        self.size = size
        self.wait = max(0.0, wait)
        self.retry_after = max(1, math.ceil(retry_after))  # Retry-After takes whole seconds
        self._free = threading.BoundedSemaphore(size)
        self._held = threading.local()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the block; raises HashingBusy when none comes free within ``wait`` seconds."""
        depth = getattr(self._held, "depth", 0)
        if depth == 0 and not self._free.acquire(timeout=self.wait):
            raise HashingBusy(self.retry_after)
        self._held.depth = depth + 1
        try:
            yield
        finally:
            self._held.depth = depth
            if depth == 0:
                self._free.release()


def _configured_slots() -> HashingSlots:
    """The app's slots, made on first use from its configuration (again if a test changes the configuration)."""
    config = current_app.config
    settings = (config["ARGON2_MAX_CONCURRENT"], config["ARGON2_QUEUE_TIMEOUT"], config["ARGON2_RETRY_AFTER"])
    extensions = current_app.extensions
    # Compared with the settings as configured, not the slots' own values: those are clamped (a negative wait is
    # no wait), and comparing them would make new slots, with no limit between them, on every call.
    made = extensions.get(_SLOTS_KEY)
    if made is None or made[0] != settings:
        with _SLOTS_CREATED:
            made = extensions.get(_SLOTS_KEY)
            if made is None or made[0] != settings:
                size, wait, retry_after = settings
                made = extensions[_SLOTS_KEY] = (settings, HashingSlots(size, wait=wait, retry_after=retry_after))
    return made[1]


@contextmanager
def hashing_slot() -> Iterator[None]:
    """One of the process's hashing slots for the block (HashingBusy when none comes free in time)."""
    with _configured_slots().slot():
        yield


def password_hasher() -> PasswordHasher:
    """The hasher for the configured parameters (memory in KiB, as argon2-cffi takes it)."""
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def normalize_password(password: str) -> str:
    """NFKC, as 800-63B asks for Unicode passwords, so the same password typed two ways matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    """The argon2id hash of the normalised password (in a hashing slot)."""
    with hashing_slot():
        return password_hasher().hash(normalize_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the normalised password matches (in a hashing slot); False for a mismatch or a missing or unreadable
    hash."""
    if not password_hash:
        return False
    with hashing_slot():
        try:
            return password_hasher().verify(password_hash, normalize_password(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the configured ones (rehash at sign-in)."""
    try:
        return password_hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True
