"""The student's receipt (issue 6): how each value is printed, and who gets one for which change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select

from portal.models import OutboxEmail
from portal.models.enums import EmploymentType, Role
from portal.services.actors import Actor
from portal.services.receipts import LONGEST_VALUE, changed_line, queue_report_receipt, show
from tests.unit.conftest import TODAY


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (None, "(none)"),
        ("", "(none)"),
        (True, "yes"),
        (False, "no"),
        (0, "0"),
        (date(2026, 3, 1), "March 1, 2026"),
        (date(2026, 11, 30), "November 30, 2026"),
        (EmploymentType.SELF_EMPLOYED, "Self-employed business owner"),
        ("  Data\n  Analyst\t", "Data Analyst"),
        ("x" * LONGEST_VALUE, "x" * LONGEST_VALUE),
        ("x" * (LONGEST_VALUE + 1), "x" * (LONGEST_VALUE - 1) + "…"),
        ("x" * (LONGEST_VALUE - 2) + " and more", "x" * (LONGEST_VALUE - 2) + "…"),
    ],
)
def test_each_value_is_printed_in_words_and_long_text_is_shortened(value, printed):
    assert show(value) == printed


def test_a_changed_line_shows_the_field_before_and_after_in_words():
    assert changed_line("End date", None, date(2026, 11, 30)) == "End date: (none) → November 30, 2026"
    assert changed_line("Job title", "Data Analyst", "Senior Analyst") == "Job title: Data Analyst → Senior Analyst"


def _receipts(session) -> list[OutboxEmail]:
    return list(
        session.scalars(select(OutboxEmail).where(OutboxEmail.template == "report_receipt").order_by(OutboxEmail.id))
    )


def test_the_student_reporting_gets_one_receipt_at_their_address_naming_the_day_and_each_change(
    db_session, student, actor
):
    lines = ["Job title: Data Analyst → Senior Analyst", "End date: (none) → November 30, 2026"]
    queue_report_receipt(db_session, student, lines, about="employer change: Acme", actor=actor, today=TODAY)
    [email] = _receipts(db_session)
    assert (email.to_address, email.student_id) == (student.email, student.id)
    assert email.subject == "We received your employer change: Acme"
    assert "March 1, 2026" in email.body_text
    assert all(line in email.body_text for line in lines)


def test_without_a_day_the_receipt_is_dated_today_in_eastern_time(db_session, student, actor):
    with time_machine.travel(datetime(2026, 7, 1, 3, 0, tzinfo=UTC), tick=False):  # still June 30 in New York
        queue_report_receipt(db_session, student, ["Phone number: (none) → 1"], about="phone", actor=actor)
    [email] = _receipts(db_session)
    assert "June 30, 2026" in email.body_text


@pytest.mark.parametrize(
    "who",
    [
        lambda factory, school: Actor.for_user(factory.user(role=Role.DSO, school=school)),
        lambda factory, school: Actor.for_user(factory.user(role=Role.SUPPORT, school=school)),
        lambda factory, school: Actor.data_feed(school.id),
        lambda factory, school: Actor.system(),
    ],
    ids=["dso", "support", "data feed", "system"],
)
def test_nobody_but_the_student_reporting_causes_a_receipt(db_session, factory, school, student, who):
    queue_report_receipt(
        db_session, student, ["Job title: A → B"], about="change", actor=who(factory, school), today=TODAY
    )
    assert _receipts(db_session) == []


def test_a_report_that_changed_nothing_sends_no_receipt(db_session, student, actor):
    queue_report_receipt(db_session, student, [], about="employer change: Acme", actor=actor, today=TODAY)
    assert _receipts(db_session) == []
