"""What every request asks about the whole site, kept in the process: maintenance windows soon, the last forcing upgrade.

The maintenance gate, the banner and the forced password change (rules 11 and 12) would otherwise cost
two or three statements on every page. Instead each process reads the windows that could matter in
the next few seconds and the last forcing upgrade, and keeps them for ``REFRESH_SECONDS``:

- the clock is compared on every request, so a window already read starts and ends exactly on time;
- a change made in this process (a flush touching a window or an upgrade) drops the copy at once;
- a change made by another process (the CLI, another server) is seen within ``REFRESH_SECONDS``.

The data feed and the worker still ask the database (``services.maintenance.active_window``): they
decide what to queue and must be exact.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.models import MaintenanceWindow, Upgrade, utcnow
from portal.services.maintenance import ANNOUNCE_BEFORE

REFRESH_SECONDS = 5
_REFRESH = timedelta(seconds=REFRESH_SECONDS)
# Marks the two statements of a refresh: a few per process every REFRESH_SECONDS, not a cost of the request that
# happens to run them, so the statement counters (bench/sqlcount.py, the tests' count_queries) leave them out.
PERIODIC = "portal_periodic_read"


@dataclass(frozen=True)
class WindowTimes:
    """A maintenance window as the gate and the banner need it."""

    id: int
    starts_at: datetime
    ends_at: datetime
    message: str


@dataclass(frozen=True)
class ForcingUpgrade:
    """The last upgrade that forced students to choose a new password."""

    id: int
    completed_at: datetime


@dataclass(frozen=True)
class SiteState:
    read_at: datetime
    windows: tuple[WindowTimes, ...]  # not cancelled, soonest first, every one that can matter until fresh_until
    forcing_upgrade: ForcingUpgrade | None

    @property
    def fresh_until(self) -> datetime:
        return self.read_at + _REFRESH

    def active_window(self, now: datetime) -> WindowTimes | None:
        """The window in force at ``now``, if any."""
        return next((window for window in self.windows if window.starts_at <= now < window.ends_at), None)

    def announced_window(self, now: datetime) -> WindowTimes | None:
        """The next window that starts within 48 hours of ``now`` (or is in force), for the banner."""
        return next(
            (window for window in self.windows if window.ends_at > now and window.starts_at <= now + ANNOUNCE_BEFORE),
            None,
        )


_states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> SiteState
_lock = threading.Lock()


def _engine_of(session: Session):
    bind = session.get_bind()
    return getattr(bind, "engine", bind)


def site_state(session: Session, now: datetime | None = None) -> SiteState:
    """The site state as of at most ``REFRESH_SECONDS`` ago (two statements when it is read again, else none)."""
    now = now or utcnow()
    key = _engine_of(session)
    state = _states.get(key)
    # A clock that went back (time travel in tests) reads again too: the copy only covers [read_at, fresh_until).
    if state is None or not state.read_at <= now < state.fresh_until:
        state = _read(session, now)
        with _lock:
            _states[key] = state
    return state


def _read(session: Session, now: datetime) -> SiteState:
    rows = session.execute(
        select(MaintenanceWindow.id, MaintenanceWindow.starts_at, MaintenanceWindow.ends_at, MaintenanceWindow.message)
        .where(
            MaintenanceWindow.cancelled_at.is_(None),
            MaintenanceWindow.ends_at > now,
            MaintenanceWindow.starts_at <= now + ANNOUNCE_BEFORE + _REFRESH,
        )
        .order_by(MaintenanceWindow.starts_at)
        .execution_options(**{PERIODIC: True})
    )
    windows = tuple(WindowTimes(*row) for row in rows)
    upgrade = session.execute(
        select(Upgrade.id, Upgrade.completed_at)
        .where(Upgrade.force_password_change.is_(True))
        .order_by(Upgrade.completed_at.desc())
        .limit(1)
        .execution_options(**{PERIODIC: True})
    ).first()
    return SiteState(read_at=now, windows=windows, forcing_upgrade=ForcingUpgrade(*upgrade) if upgrade else None)


def forget_site_state() -> None:
    """Drop every copy: the next request reads the database."""
    with _lock:
        _states.clear()


_CHANGED = "site_state_changed"


@event.listens_for(Session, "after_flush")
def _forget_after_local_change(session: Session, _flush_context) -> None:
    if any(isinstance(obj, (MaintenanceWindow, Upgrade)) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_CHANGED] = True
        forget_site_state()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_again_when_it_lands(session: Session, *_args) -> None:
    # Another thread may have read the copy between the flush and the commit (or rollback): drop it again.
    if session.info.pop(_CHANGED, False):
        forget_site_state()
