"""The officials' email digest (issue 12; seed 001 Q10): the choice of daily, weekly (Mondays) or off, and the counts of
what students changed since the official's last change-list download. Queueing and sending the digest email are
tested in test_digest_notices.py."""

from functools import partial

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import ChangeKind, DigestCadence, Role
from portal.services.actors import Actor
from portal.services.digests import digest_for, set_digest_cadence
from portal.services.errors import InvalidValue, NotAllowed
from tests.support.digests import MONDAY, at, record_change


@pytest.fixture
def daily_dso(factory, school, db_session):
    official = factory.user(role=Role.DSO, school=school)
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence="daily")
    return official


@pytest.fixture
def change(time_machine):
    """Record one change a student made in the portal (what a change list lists)."""
    return partial(record_change, time_machine)


def test_the_digest_counts_only_portal_changes_at_the_officials_school(
    change, db_session, factory, school, daily_dso, time_machine
):
    time_machine.move_to(at(MONDAY, 6), tick=False)
    student = factory.student(school=school)
    change(db_session, student, actor=Actor.data_feed(school.id))  # SEVIS's own data: never in a change list
    change(db_session, factory.student())  # another school's
    assert digest_for(db_session, daily_dso).empty
    change(db_session, student, ChangeKind.DOCUMENT)
    digest = digest_for(db_session, daily_dso)
    assert (digest.students, [kind.words for kind in digest.kinds]) == (1, ["Documents: 1 student, 1 change"])


def test_choosing_a_cadence_is_recorded_on_the_officials_account(db_session, factory, school):
    official = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence="weekly")
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence="weekly")  # no change, no event
    assert official.digest_cadence is DigestCadence.WEEKLY
    [event] = db_session.scalars(select(Event).where(Event.event_type == "official.digest_changed")).all()
    assert (event.user_id, event.school_id, event.before, event.after) == (
        official.id,
        school.id,
        {"digest_cadence": "off"},
        {"digest_cadence": "weekly"},
    )


@pytest.mark.parametrize("role", [Role.DSO, Role.STUDENT, Role.SUPPORT])
def test_nobody_chooses_another_officials_digest(db_session, factory, school, role):
    official = factory.user(role=Role.DSO, school=school)
    other = factory.user(role=role, school=school if role is Role.DSO else None)
    with pytest.raises(NotAllowed):
        set_digest_cadence(db_session, official, actor=Actor.for_user(other), cadence="daily")
    assert official.digest_cadence is DigestCadence.OFF


@pytest.mark.parametrize("value", ["hourly", "", "DAILY", "daily "])
def test_an_unknown_cadence_is_refused_on_its_field(db_session, factory, school, value):
    official = factory.user(role=Role.DSO, school=school)
    with pytest.raises(InvalidValue) as refused:
        set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence=value)
    assert refused.value.field == "cadence" and official.digest_cadence is DigestCadence.OFF
