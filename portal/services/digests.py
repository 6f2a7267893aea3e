"""The officials' email digest (issue 12; seed 001 Q10): a DSO or principal DSO may opt in, daily or weekly, to an
email saying how many students changed what since their last change-list download. Off by default.

The email itself is queued by the worker's daily sweep and recomputed when it is sent
(portal/worker/digest_notices.py); this module holds the choice and the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from portal.models import User, utcnow
from portal.models.enums import OFFICIAL_ROLES, ChangeKind, DigestCadence
from portal.services.actors import Actor
from portal.services.change_lists import EPOCH, ChangeRange, changes_by_kind, count_students, since_mark
from portal.services.errors import InvalidValue, NotAllowed
from portal.services.events import record_event

# "Pick Monday": the weekly digest goes out on Mondays (date.weekday() == 0).
WEEKLY_ON = 0

# What a person reads for each kind in the digest ("Employers: 2 students, 3 changes").
KIND_WORDS = {
    ChangeKind.EMPLOYER: "Employers",
    ChangeKind.CONTACT: "Contact details",
    ChangeKind.ADDRESS: "Addresses",
    ChangeKind.DOCUMENT: "Documents",
}


def set_digest_cadence(session: Session, official: User, *, actor: Actor, cadence: str) -> User:
    """An official chooses their own digest: off, daily or weekly (one event when it changes).

    Refuses anyone but that official (a school official may set only their own) and an unknown choice.
    """
    if not actor.is_school_official or actor.user_id != official.id or official.role not in OFFICIAL_ROLES:
        raise NotAllowed("Each school official chooses their own email digest.")
    try:
        chosen = DigestCadence(cadence)
    except ValueError:
        raise InvalidValue("Choose off, daily or weekly.", field="cadence") from None
    before = official.digest_cadence
    if before == chosen:
        return official
    official.digest_cadence = chosen
    record_event(
        session,
        actor,
        "official.digest_changed",
        user=official,
        school_id=official.school_id,
        subject=f"user:{official.id}",
        before={"digest_cadence": before},
        after={"digest_cadence": chosen},
    )
    session.flush()
    return official


def digest_period(cadence: DigestCadence, today: date) -> date | None:
    """The first day of the period whose digest goes out ``today``, or None when none does (off; weekly, not Monday).

    A missed day is not made up: the next digest counts everything since the last download anyway.
    """
    if cadence is DigestCadence.DAILY:
        return today
    if cadence is DigestCadence.WEEKLY and today.weekday() == WEEKLY_ON:
        return today
    return None


def period_covers(cadence: DigestCadence, period_start: date, today: date) -> bool:
    """Whether ``today`` still falls in the period that started on ``period_start`` (a day, or a week from Monday)."""
    length = 7 if cadence is DigestCadence.WEEKLY else 1
    return period_start <= today < period_start + timedelta(days=length)


@dataclass(frozen=True)
class KindCount:
    kind: ChangeKind
    students: int
    changes: int

    @property
    def words(self) -> str:
        students = "1 student" if self.students == 1 else f"{self.students} students"
        changes = "1 change" if self.changes == 1 else f"{self.changes} changes"
        return f"{KIND_WORDS[self.kind]}: {students}, {changes}"


@dataclass(frozen=True)
class Digest:
    """What changed at the official's school since their last "since my last download", counted now."""

    since: datetime | None  # None: they never downloaded one, so the count starts at the beginning
    students: int
    kinds: tuple[KindCount, ...]

    @property
    def empty(self) -> bool:
        return not self.kinds


def digest_for(session: Session, official: User, *, now: datetime | None = None) -> Digest:
    """The official's digest as of ``now``: the same changes the change list's "since my last download" holds."""
    now = now or utcnow()
    mark = since_mark(session, official.id)
    start = mark if mark is not None else EPOCH
    change_range = ChangeRange(start, max(now, start), tuple(ChangeKind), since_last_download=True)
    kinds = tuple(
        KindCount(kind, students, changes)
        for kind, students, changes in changes_by_kind(session, official.school_id, change_range)
    )
    students = count_students(session, official.school_id, change_range) if kinds else 0
    return Digest(since=mark, students=students, kinds=kinds)
