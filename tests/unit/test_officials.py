"""Officials: exactly one principal DSO per school (service, database and command line), as many DSOs as the school
needs (8 CFR 214.3(l)(1)); the principal appoints, removes and hands the principal role over."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.models import AccountLink, Event, OutboxEmail, User, utcnow
from portal.models.enums import Role
from portal.services.account_links import link_problem
from portal.services.accounts import finish_account_creation
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.officials import (
    active_officials,
    appoint_official,
    check_principal_vacancy,
    hand_over_principal,
    open_invitations,
    principal_of,
    remove_official,
    resend_invitation,
    revoke_invitation,
)


@pytest.fixture
def principal(factory, school):
    return Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO, school=school))


def _appoint(db_session, school, principal, number):
    return appoint_official(
        db_session,
        school,
        actor=principal,
        email=f"dso{number}@{school.code.lower()}.edu",
        display_name=f"Official {number}",
    )


def test_the_principal_appoints_an_official_with_an_account_of_their_own(db_session, school, principal):
    official = _appoint(db_session, school, principal, 1)
    assert official.role is Role.DSO and official.school_id == school.id and official.password_hash is None
    assert db_session.scalar(
        select(Event).where(Event.event_type == "official.appointed", Event.user_id == official.id)
    )
    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == official.id))
    assert email.template == "official_invitation" and email.sealed_secret and "14 days" in email.body_text
    assert "SEVIS ID" not in email.body_text.replace("You will not be asked for a SEVIS ID.", "")


def test_a_school_may_have_more_than_ten_dsos(db_session, school, principal):
    for number in range(12):
        _appoint(db_session, school, principal, number)
    officials = active_officials(db_session, school.id)
    assert len(officials) == 13 and [official.role for official in officials].count(Role.DSO) == 12


def test_the_database_accepts_more_than_ten_dsos_and_reactivating_one(factory, db_session, school):
    removed = factory.user(role=Role.DSO, school=school)
    removed.deactivated_at = utcnow()
    db_session.flush()
    for _ in range(11):
        factory.user(role=Role.DSO, school=school)
    removed.deactivated_at = None
    db_session.flush()
    assert len(active_officials(db_session, school.id)) == 12


def test_a_second_principal_is_refused_with_a_clear_message(factory, db_session, school, principal):
    with pytest.raises(Conflict, match="already has a principal DSO.*add the person as a DSO"):
        check_principal_vacancy(db_session, school)
    check_principal_vacancy(db_session, factory.school())  # a school without one may get one


def test_the_database_refuses_a_second_active_principal(db_session, school, principal):
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(User(email="second@example.org", role=Role.PRINCIPAL_DSO, school_id=school.id))
        db_session.flush()
    assert principal_of(db_session, school.id).id == principal.user_id


def test_the_database_refuses_promoting_a_dso_beside_the_principal(factory, db_session, school, principal):
    dso = factory.user(role=Role.DSO, school=school)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        dso.role = Role.PRINCIPAL_DSO
        db_session.flush()


def test_a_removed_principal_does_not_hold_the_place_and_other_schools_have_their_own(factory, db_session, school):
    former = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    former.deactivated_at = utcnow()
    db_session.flush()
    factory.user(role=Role.PRINCIPAL_DSO, school=school)
    factory.user(role=Role.PRINCIPAL_DSO, school=factory.school())


def test_hand_over_leaves_exactly_one_principal_and_records_both_changes(factory, db_session, school, principal):
    successor = _appoint(db_session, school, principal, 1)
    hand_over_principal(db_session, successor, actor=principal)
    old = db_session.get(User, principal.user_id)
    assert successor.role is Role.PRINCIPAL_DSO and old.role is Role.DSO and old.deactivated_at is None
    assert principal_of(db_session, school.id) is successor
    events = db_session.scalars(
        select(Event).where(Event.event_type == "official.role_changed").order_by(Event.id)
    ).all()
    assert [(event.user_id, event.before["role"], event.after["role"]) for event in events] == [
        (old.id, "principal_dso", "dso"),
        (successor.id, "dso", "principal_dso"),
    ]
    assert all(event.actor_user_id == old.id and event.school_id == school.id for event in events)
    # The new principal can hand it back; the old one no longer can.
    with pytest.raises(Conflict, match="no longer the principal"):
        hand_over_principal(db_session, old, actor=principal)
    hand_over_principal(db_session, old, actor=Actor.for_user(successor))
    assert principal_of(db_session, school.id) is old


def test_hand_over_refuses_oneself_a_removed_official_and_anyone_but_the_principal(
    factory, db_session, school, principal
):
    dso = _appoint(db_session, school, principal, 1)
    with pytest.raises(RuleBroken, match="already the principal"):
        hand_over_principal(db_session, db_session.get(User, principal.user_id), actor=principal)
    with pytest.raises(NotAllowed):
        hand_over_principal(db_session, dso, actor=Actor.for_user(dso))
    with pytest.raises(NotFound):
        hand_over_principal(db_session, factory.user(role=Role.DSO), actor=principal)
    with pytest.raises(NotFound):
        hand_over_principal(db_session, factory.user(role=Role.SUPPORT), actor=principal)
    remove_official(db_session, dso, actor=principal)
    with pytest.raises(Conflict, match="was removed"):
        hand_over_principal(db_session, dso, actor=principal)
    assert principal_of(db_session, school.id).id == principal.user_id
    assert not db_session.scalar(select(Event).where(Event.event_type == "official.role_changed"))


def _create_principal(app, school, email):
    return app.test_cli_runner().invoke(
        args=["users", "create", "--role", "principal_dso", "--email", email, "--school", school.code],
        input="a long enough password\n",
    )


def test_the_command_line_refuses_a_second_principal(app, factory, db_session, school, principal):
    refused = _create_principal(app, school, "second@example.org")
    assert refused.exit_code == 1 and "already has a principal DSO" in refused.output, refused.output
    assert "Traceback" not in refused.output and isinstance(refused.exception, SystemExit)
    assert db_session.scalar(select(User).where(User.email == "second@example.org")) is None
    other = factory.school()
    created = _create_principal(app, other, "first@example.org")
    assert created.exit_code == 0, created.output
    assert principal_of(db_session, other.id).email == "first@example.org"


def test_a_removal_twice_and_removing_the_principal_are_refused(factory, db_session, school, principal):
    official = _appoint(db_session, school, principal, 1)
    remove_official(db_session, official, actor=principal)
    with pytest.raises(Conflict, match="already removed"):
        remove_official(db_session, official, actor=principal)
    with pytest.raises(RuleBroken, match="Hand the principal role over"):
        remove_official(db_session, db_session.get(User, principal.user_id), actor=principal)


def test_only_the_principal_of_that_school_may_appoint(factory, db_session, school, principal):
    dso = Actor.for_user(factory.user(role=Role.DSO, school=school))
    with pytest.raises(NotAllowed):
        _appoint(db_session, school, dso, 1)
    other_principal = Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO))
    with pytest.raises(NotFound):
        _appoint(db_session, school, other_principal, 2)


@pytest.mark.parametrize(
    ("email", "name"),
    [("bad", "Name"), ("ok@example.edu", ""), ("ok@example.edu", "x" * 201), ("ok@example.edu", "a\x00b")],
)
def test_bad_input_is_refused_on_its_field(db_session, school, principal, email, name):
    with pytest.raises(InvalidValue):
        appoint_official(db_session, school, actor=principal, email=email, display_name=name)


def test_an_email_in_use_is_refused(factory, db_session, school, principal):
    existing = factory.user(role=Role.SUPPORT)
    with pytest.raises(Conflict, match="account of their own"):
        appoint_official(db_session, school, actor=principal, email=existing.email, display_name="Dup")


# ---------------------------------------------------------------- invitations (issue 12, finding 6)


def _invitation_link(db_session, official):
    return db_session.scalars(
        select(AccountLink).where(AccountLink.user_id == official.id).order_by(AccountLink.id.desc())
    ).first()


def test_the_invitation_link_works_once_for_14_days_and_sets_a_password_without_a_sevis_id(
    db_session, school, principal
):
    official = _appoint(db_session, school, principal, 1)
    link = _invitation_link(db_session, official)
    assert link.expires_at - link.created_at == timedelta(days=14)
    assert link_problem(link, now=link.created_at + timedelta(days=13, hours=23)) is None
    assert "expired" in link_problem(link, now=link.created_at + timedelta(days=14))
    finish_account_creation(db_session, link, sevis_id=None, password="violet harbor seventy kites")
    assert official.has_finished_account_creation and link.used_at is not None
    assert "already used" in link_problem(link)


def test_resend_voids_the_old_link_and_emails_a_new_one(db_session, school, principal):
    official = _appoint(db_session, school, principal, 1)
    old = _invitation_link(db_session, official)
    new = resend_invitation(db_session, official, actor=principal)
    assert new.id != old.id and link_problem(new) is None
    assert "a newer one was sent" in link_problem(old) and "principal DSO" in link_problem(old)
    emails = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == official.id).order_by(OutboxEmail.id)
    ).all()
    assert [email.template for email in emails] == ["official_invitation", "official_invitation"]
    assert emails[-1].sealed_secret == f"account_link:{new.id}"
    assert db_session.scalar(
        select(Event).where(Event.event_type == "official.invitation_resent", Event.user_id == official.id)
    )


def test_revoking_makes_the_link_say_so_and_the_person_may_be_appointed_again(db_session, school, principal):
    official = _appoint(db_session, school, principal, 1)
    link = _invitation_link(db_session, official)
    revoke_invitation(db_session, official, actor=principal)
    assert "revoked" in link_problem(link) and not official.is_active
    assert official not in active_officials(db_session, school.id)
    with pytest.raises(Conflict, match="already revoked"):
        revoke_invitation(db_session, official, actor=principal)
    with pytest.raises(Conflict, match="appoint them again"):
        resend_invitation(db_session, official, actor=principal)
    again = _appoint(db_session, school, principal, 1)
    assert again.id == official.id and again.is_active
    assert link_problem(_invitation_link(db_session, again)) is None and link_problem(link) is not None


def test_resend_and_revoke_are_refused_once_the_official_set_a_password_and_to_anyone_but_the_principal(
    factory, db_session, school, principal
):
    active = factory.user(role=Role.DSO, school=school)
    for action in (resend_invitation, revoke_invitation):
        with pytest.raises(Conflict, match="already set a password"):
            action(db_session, active, actor=principal)
    pending = _appoint(db_session, school, principal, 2)
    with pytest.raises(NotAllowed):
        resend_invitation(db_session, pending, actor=Actor.for_user(active))
    other_principal = Actor.for_user(factory.user(role=Role.PRINCIPAL_DSO, school=factory.school()))
    with pytest.raises(NotFound):
        revoke_invitation(db_session, pending, actor=other_principal)


def test_a_removed_pending_official_s_link_says_the_invitation_was_revoked(db_session, school, principal):
    official = _appoint(db_session, school, principal, 1)
    remove_official(db_session, official, actor=principal)
    assert "revoked" in link_problem(_invitation_link(db_session, official))


def test_the_officials_page_knows_whose_invitation_is_open_or_expired(factory, db_session, school, principal):
    pending = _appoint(db_session, school, principal, 1)
    active = factory.user(role=Role.DSO, school=school)
    link = _invitation_link(db_session, pending)
    now = link.created_at
    assert set(open_invitations(db_session, school.id, now=now)) == {pending.id}
    assert open_invitations(db_session, school.id, now=now)[pending.id].valid_until == link.expires_at
    assert open_invitations(db_session, school.id, now=now + timedelta(days=15))[pending.id].expired
    assert active.id not in open_invitations(db_session, school.id, now=now)
