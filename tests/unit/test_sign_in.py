"""Signing in with a password: either Unicode form, a rehash when the parameters change, a closed student (rule 5)."""

from __future__ import annotations

from datetime import date, datetime

import time_machine
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import Role
from portal.services.clock import EASTERN
from portal.services.sign_in import sign_in_with_password
from tests.support.accounts import ACCENTED_NFC, ACCENTED_NFD, user_events
from tests.support.factories import PASSWORD


def test_an_account_made_on_the_command_line_signs_in_with_its_password_in_either_unicode_form(
    app, factory, db_session
):
    school = factory.school()
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--role", "dso", "--email", "cli-dso@example.org", "--school", school.code],
        input=ACCENTED_NFD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert sign_in_with_password(db_session, "cli-dso@example.org", ACCENTED_NFC).user is not None


def test_sign_in_rehashes_when_the_parameters_change(factory, db_session, app):
    user = factory.user(role=Role.STUDENT)
    old_hash = user.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    try:
        assert sign_in_with_password(db_session, user.email, PASSWORD).user is user
        assert user.password_hash != old_hash and "t=2" in user.password_hash
    finally:
        app.config["ARGON2_TIME_COST"] = 1


def test_sign_in_refuses_a_closed_student_only_after_the_right_password(factory, db_session):
    """Rule 5: access closed six months after the OPT end; a wrong password never learns it."""
    student = factory.student(opt_start=date(2024, 1, 1), opt_end=date(2024, 12, 31), today=date(2025, 6, 30))
    user = factory.user(role=Role.STUDENT, student=student)
    with time_machine.travel(datetime(2025, 7, 1, 9, tzinfo=EASTERN), tick=False):
        wrong = sign_in_with_password(db_session, user.email, "not the password at all")
        right = sign_in_with_password(db_session, user.email, PASSWORD)
    failures = db_session.scalars(
        select(Event.id).where(Event.user_id == user.id, Event.event_type == "sign_in.failed")
    ).all()
    assert wrong.user is None and wrong.closed is None and len(failures) == 1
    assert right.user is None and right.closed.school_name == student.school.name
    assert right.closed.reason.startswith("Your portal access ended on June 30, 2025")
    assert (
        len(user_events(db_session, user, "sign_in.refused")) == 1
        and user_events(db_session, user, "sign_in.succeeded") == []
    )
    with time_machine.travel(datetime(2025, 6, 30, 23, 59, tzinfo=EASTERN), tick=False):
        assert sign_in_with_password(db_session, user.email, PASSWORD).user is user  # the last day to read
