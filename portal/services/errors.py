"""Domain errors. Each carries a message a person can act on; routes turn them into 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``field`` names the form field the message belongs to, when there is one."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class RuleBroken(DomainError):
    """The request breaks a domain rule (a missing confirmation, a date out of range)."""


class InvalidValue(RuleBroken):
    """A value is malformed (a SEVIS ID that is not N plus ten digits)."""


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a replayed delete, a stale edit)."""

    status_code = 409


class StaleEdit(Conflict):
    """Someone changed the record since the form was opened; ``current`` holds the values now."""

    def __init__(self, message: str, *, current: dict | None = None) -> None:
        super().__init__(message)
        self.current = current or {}


class NotAllowed(DomainError):
    """The actor may not do this (support changing a record, a student editing after access ended)."""

    status_code = 403


class NotFound(DomainError):
    """No such thing for this actor (including another school's or another student's)."""

    status_code = 404


class SecretUnreadable(DomainError):
    """A stored secret does not open with the configured keys: a fault on our side, not the user's."""

    status_code = 503
