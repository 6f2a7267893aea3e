"""Officials: the principal appoints and removes; at most ten alternates, in the service and in the database."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.models import Event, OutboxEmail, User
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.officials import active_officials, appoint_official, remove_official


@pytest.fixture
def school(factory):
    return factory.school()


@pytest.fixture
def principal(factory, school):
    return Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO, school=school))


def _appoint(db_session, school, principal, number):
    return appoint_official(db_session, school, actor=principal, email=f"alt{number}@{school.code.lower()}.edu",
                            display_name=f"Alternate {number}")  # fmt: skip


def test_the_principal_appoints_an_official_with_an_account_of_their_own(db_session, school, principal):
    official = _appoint(db_session, school, principal, 1)
    assert official.role is Role.DSO and official.school_id == school.id and official.password_hash is None
    assert db_session.scalar(select(Event).where(Event.event_type == "official.appointed", Event.user_id == official.id))
    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == official.id))
    assert email.template == "official_appointed" and "/password/reset" in email.body_text


def test_an_eleventh_alternate_is_refused_with_a_clear_message(db_session, school, principal):
    for number in range(10):
        _appoint(db_session, school, principal, number)
    with pytest.raises(RuleBroken, match="already has 10 alternate officials"):
        _appoint(db_session, school, principal, 11)
    assert len(active_officials(db_session, school.id)) == 11  # ten alternates and the principal


def test_the_database_refuses_an_eleventh_alternate_too(factory, db_session, school):
    for _ in range(10):
        factory.user(role=Role.DSO, school=school)
    with pytest.raises((IntegrityError, DBAPIError)), db_session.begin_nested():
        db_session.add(User(email="eleventh@example.org", role=Role.DSO, school_id=school.id))
        db_session.flush()


def test_the_database_refuses_reactivating_an_eleventh(factory, db_session, school):
    extra = factory.user(role=Role.DSO, school=school)
    from portal.models import utcnow

    extra.deactivated_at = utcnow()
    db_session.flush()
    for _ in range(10):
        factory.user(role=Role.DSO, school=school)
    with pytest.raises((IntegrityError, DBAPIError)), db_session.begin_nested():
        extra.deactivated_at = None
        db_session.flush()


def test_removing_frees_a_place(db_session, school, principal):
    officials = [_appoint(db_session, school, principal, number) for number in range(10)]
    remove_official(db_session, officials[0], actor=principal)
    assert officials[0].deactivated_at is not None
    _appoint(db_session, school, principal, 99)


def test_a_removal_twice_and_removing_the_principal_are_refused(factory, db_session, school, principal):
    official = _appoint(db_session, school, principal, 1)
    remove_official(db_session, official, actor=principal)
    with pytest.raises(Conflict, match="already removed"):
        remove_official(db_session, official, actor=principal)
    with pytest.raises(RuleBroken):
        remove_official(db_session, db_session.get(User, principal.user_id), actor=principal)


def test_only_the_principal_of_that_school_may_appoint(factory, db_session, school, principal):
    alternate = Actor.for_user(factory.user(role=Role.DSO, school=school))
    with pytest.raises(NotAllowed):
        _appoint(db_session, school, alternate, 1)
    other_principal = Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO))
    with pytest.raises(NotFound):
        _appoint(db_session, school, other_principal, 2)


@pytest.mark.parametrize(("email", "name"), [("bad", "Name"), ("ok@example.edu", ""), ("ok@example.edu", "x" * 201),
                                             ("ok@example.edu", "a\x00b")])  # fmt: skip
def test_bad_input_is_refused_on_its_field(db_session, school, principal, email, name):
    with pytest.raises(InvalidValue):
        appoint_official(db_session, school, actor=principal, email=email, display_name=name)


def test_an_email_in_use_is_refused(factory, db_session, school, principal):
    existing = factory.user(role=Role.SUPPORT)
    with pytest.raises(Conflict, match="account of their own"):
        appoint_official(db_session, school, actor=principal, email=existing.email, display_name="Dup")
