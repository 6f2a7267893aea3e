"""Issue 6 point 1: the services queue each notice in the same transaction as the change that causes it, and only then."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.models import AccountLink, OutboxEmail, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.contact import remove_mailing_address, request_email_change, update_address, update_phone
from portal.services.employers import add_employer, delete_employer, update_employer
from portal.services.errors import InvalidValue, StaleEdit
from portal.services.feed.parsing import parse_batch
from portal.services.feed.receiving import receive_batch
from portal.services.opt_decisions import change_email_of_record
from portal.services.password_changes import complete_password_reset
from portal.services.problems import create_problem_report, update_problem_report
from portal.services.reset_requests import answer_password_reset
from portal.services.sign_in import sign_in_with_password
from portal.services.throttling import FAILURES_BEFORE_LOCK, record_failed_sign_in
from tests.support.factories import employer_form_data
from tests.unit.conftest import TODAY


def _emails(session, template, student=None, user=None) -> list[OutboxEmail]:
    query = select(OutboxEmail).where(OutboxEmail.template == template).order_by(OutboxEmail.id)
    if student is not None:
        query = query.where(OutboxEmail.student_id == student.id)
    if user is not None:
        query = query.where(OutboxEmail.user_id == user.id)
    return list(session.scalars(query))


def _undone_with_its_change(session, action, template) -> None:
    """The email is written with the change and disappears when the change's transaction is rolled back."""
    savepoint = session.begin_nested()
    action()
    assert session.scalars(select(OutboxEmail.id).where(OutboxEmail.template == template)).all()
    savepoint.rollback()
    assert not session.scalars(select(OutboxEmail.id).where(OutboxEmail.template == template)).all()


@pytest.fixture
def student(factory, school):
    """The shared student (tests/unit/conftest.py) with an address the emails below are checked against."""
    return factory.student(
        school=school, opt_start=date(2026, 1, 1), opt_end=date(2026, 12, 31), today=TODAY, email="linh@example.edu"
    )


# ---------------------------------------------------------------- account_locked


def _fail(session, user, times):
    for _ in range(times):
        sign_in_with_password(session, user.email, "not the password at all")


def test_the_lock_queues_one_account_locked_email_with_the_eastern_end_time_and_the_ways_to_unlock(
    db_session, student, student_user
):
    with time_machine.travel("2026-03-04 20:30:00+00:00", tick=False):
        _fail(db_session, student_user, FAILURES_BEFORE_LOCK - 1)
        assert _emails(db_session, "account_locked") == []
        _fail(db_session, student_user, 1)
        [email] = _emails(db_session, "account_locked", student=student)
    assert email.to_address == "linh@example.edu" and email.user_id == student_user.id
    assert "March 4, 2026 at 3:45 PM EST" in email.subject  # 20:30 UTC + 15 minutes, in US Eastern
    for body in (email.body_text, email.body_html):
        assert "March 4, 2026 at 3:45 PM EST" in body and "/password/reset" in body and "DSO can also unlock" in body
    assert email.sealed_secret is None and "token" not in email.body_text.lower()
    assert "not the password" not in email.body_text


def test_failures_during_a_cool_down_send_no_further_email_but_the_next_lock_does(db_session, student_user):
    _fail(db_session, student_user, FAILURES_BEFORE_LOCK + 7)  # the extra seven arrive while locked
    assert len(_emails(db_session, "account_locked", user=student_user)) == 1
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        _fail(db_session, student_user, FAILURES_BEFORE_LOCK)
    assert len(_emails(db_session, "account_locked", user=student_user)) == 2


def test_wrong_mfa_codes_lock_and_email_the_same_way(db_session, student_user):
    for _ in range(FAILURES_BEFORE_LOCK):
        record_failed_sign_in(db_session, student_user, reason="wrong_mfa_code")
    assert len(_emails(db_session, "account_locked", user=student_user)) == 1


def test_an_official_is_told_to_contact_support_not_their_dso(db_session, factory):
    official = factory.user(role=Role.DSO)
    _fail(db_session, official, FAILURES_BEFORE_LOCK)
    [email] = _emails(db_session, "account_locked", user=official)
    assert email.student_id is None and email.to_address == official.email
    assert "contact portal support" in email.body_text and "DSO can also unlock" not in email.body_text


def test_account_locked_email_goes_with_the_lock(db_session, student_user):
    _undone_with_its_change(db_session, lambda: _fail(db_session, student_user, FAILURES_BEFORE_LOCK), "account_locked")


def test_a_password_reset_still_unlocks_after_the_email(db_session, student_user):
    _fail(db_session, student_user, FAILURES_BEFORE_LOCK)
    answer_password_reset(db_session, student_user.email)
    link = db_session.scalars(select(AccountLink).where(AccountLink.user_id == student_user.id)).all()[-1]
    complete_password_reset(db_session, link, password="a brand new passphrase 2026")
    assert student_user.locked_until is None


# ---------------------------------------------------------------- report_receipt: employers


def test_a_student_adding_an_employer_gets_a_receipt_naming_it(db_session, student, actor):
    add_employer(db_session, student, employer_form_data(), actor=actor, today=TODAY)
    [email] = _emails(db_session, "report_receipt", student=student)
    assert email.to_address == "linh@example.edu"
    assert "Employer added: Acme Analytics LLC, starting February 25, 2026" in email.body_text
    assert "March 1, 2026" in email.body_text  # the day reported


def test_a_student_edit_receipt_lists_each_changed_field_before_and_after(db_session, student, actor):
    employer = add_employer(db_session, student, employer_form_data(), actor=actor, today=TODAY)
    update_employer(
        db_session,
        employer,
        {"job_title": "Senior Analyst", "end_date": "2026-11-30"},
        actor=actor,
        expected_version=employer.version,
        today=TODAY,
    )
    receipt = _emails(db_session, "report_receipt", student=student)[-1]
    assert "Employer changed: Acme Analytics LLC" in receipt.body_text
    assert "Job title: Data Analyst → Senior Analyst" in receipt.body_text
    assert "End date: (none) → November 30, 2026" in receipt.body_text
    assert "Supervisor" not in receipt.body_text  # unchanged fields are not listed
    assert "Senior Analyst" in receipt.body_html


def test_a_student_delete_gets_a_receipt(db_session, student, actor):
    employer = add_employer(db_session, student, employer_form_data(), actor=actor, today=TODAY)
    delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True, today=TODAY)
    receipt = _emails(db_session, "report_receipt", student=student)[-1]
    assert "Employer deleted: Acme Analytics LLC" in receipt.body_text


def test_an_edit_that_changes_nothing_or_is_refused_sends_no_receipt(db_session, student, actor):
    employer = add_employer(db_session, student, employer_form_data(), actor=actor, today=TODAY)
    update_employer(
        db_session, employer, {"job_title": "Data Analyst"}, actor=actor, expected_version=employer.version, today=TODAY
    )
    with pytest.raises(StaleEdit):
        update_employer(
            db_session, employer, {"job_title": "X"}, actor=actor, expected_version=employer.version - 1, today=TODAY
        )
    assert len(_emails(db_session, "report_receipt", student=student)) == 1  # the add only


def test_a_dso_adding_editing_and_deleting_an_employer_sends_the_student_no_receipt(db_session, student, dso):
    employer = add_employer(db_session, student, employer_form_data(), actor=dso, today=TODAY)
    update_employer(
        db_session, employer, {"job_title": "Senior Analyst"}, actor=dso, expected_version=employer.version, today=TODAY
    )
    delete_employer(db_session, employer, actor=dso, confirmed_never_worked=True, today=TODAY)
    feed = Actor.data_feed(student.school_id)
    add_employer(db_session, student, employer_form_data(name="Feed Corp", ein="98-7654321"), actor=feed, today=TODAY)
    assert _emails(db_session, "report_receipt") == []


def test_employer_receipt_goes_with_the_change(db_session, student, actor):
    _undone_with_its_change(
        db_session,
        lambda: add_employer(db_session, student, employer_form_data(), actor=actor, today=TODAY),
        "report_receipt",
    )


# ---------------------------------------------------------------- report_receipt: contact


def address(**overrides):
    data = {"line1": "12 Main Street", "line2": "", "city": "Boston", "state": "MA", "postal_code": "02110"}
    data.update(overrides)
    return data


def test_student_contact_changes_each_get_a_receipt_with_before_and_after(db_session, student, actor):
    update_phone(db_session, student, "617 555 0100", actor=actor, expected_version=student.version, today=TODAY)
    saved = update_address(db_session, student, "physical", address(), actor=actor, expected_version=None, today=TODAY)
    update_address(
        db_session,
        student,
        "physical",
        address(line1="40 Elm Street"),
        actor=actor,
        expected_version=saved.version,
        today=TODAY,
    )
    update_address(
        db_session, student, "mailing", address(line1="9 Post Road"), actor=actor, expected_version=None, today=TODAY
    )
    mailing = next(item for item in student.addresses if item.kind.value == "mailing")
    remove_mailing_address(db_session, student, actor=actor, expected_version=mailing.version, today=TODAY)
    bodies = [email.body_text for email in _emails(db_session, "report_receipt", student=student)]
    assert len(bodies) == 5
    assert "Phone number: (none) → (617) 555-0100" in bodies[0]
    assert "Physical address added: 12 Main Street, Boston, MA 02110" in bodies[1]
    assert "Physical address: 12 Main Street, Boston, MA 02110 → 40 Elm Street, Boston, MA 02110" in bodies[2]
    assert "Mailing address added: 9 Post Road" in bodies[3]
    assert "Mailing address removed: 9 Post Road" in bodies[4]
    assert all(email.to_address == "linh@example.edu" for email in _emails(db_session, "report_receipt"))


def test_an_email_change_request_gets_a_receipt_at_the_current_address(db_session, student, actor):
    request_email_change(db_session, student, "linh@new.example", actor=actor, today=TODAY)
    [email] = _emails(db_session, "report_receipt", student=student)
    assert email.to_address == "linh@example.edu" and "linh@new.example" in email.body_text


def test_a_dso_contact_change_sends_no_receipt(db_session, student, dso):
    update_phone(db_session, student, "617 555 0100", actor=dso, expected_version=student.version, today=TODAY)
    update_address(db_session, student, "physical", address(), actor=dso, expected_version=None, today=TODAY)
    assert _emails(db_session, "report_receipt") == []


def test_an_unchanged_phone_sends_no_receipt(db_session, student, actor):
    update_phone(db_session, student, "617 555 0100", actor=actor, expected_version=student.version, today=TODAY)
    update_phone(db_session, student, "(617) 555-0100", actor=actor, expected_version=student.version, today=TODAY)
    assert len(_emails(db_session, "report_receipt", student=student)) == 1


def test_contact_receipt_goes_with_the_change(db_session, student, actor):
    _undone_with_its_change(
        db_session,
        lambda: update_phone(
            db_session, student, "617 555 0100", actor=actor, expected_version=student.version, today=TODAY
        ),
        "report_receipt",
    )


def _phone(session, student, actor):
    update_phone(session, student, "617 555 0100", actor=actor, expected_version=student.version, today=TODAY)


def _address_twice(session, student, actor):
    saved = update_address(session, student, "physical", address(), actor=actor, expected_version=None, today=TODAY)
    update_address(
        session,
        student,
        "physical",
        address(line1="40 Elm Street"),
        actor=actor,
        expected_version=saved.version,
        today=TODAY,
    )


def _mailing_added_and_removed(session, student, actor):
    update_address(
        session, student, "mailing", address(line1="9 Post Road"), actor=actor, expected_version=None, today=TODAY
    )
    mailing = next(item for item in student.addresses if item.kind.value == "mailing")
    remove_mailing_address(session, student, actor=actor, expected_version=mailing.version, today=TODAY)


def _employer_added_changed_deleted(session, student, actor):
    employer = add_employer(session, student, employer_form_data(), actor=actor, today=TODAY)
    update_employer(
        session, employer, {"job_title": "Senior Analyst"}, actor=actor, expected_version=employer.version, today=TODAY
    )
    delete_employer(session, employer, actor=actor, confirmed_never_worked=True, today=TODAY)


@pytest.mark.parametrize(
    ("report", "subjects"),
    [
        (_phone, ["We received your phone number change"]),
        (_address_twice, ["We received your new address", "We received your address change"]),
        (
            _mailing_added_and_removed,
            ["We received your new mailing address", "We received your mailing address removal"],
        ),
        (
            _employer_added_changed_deleted,
            [
                "We received your new employer: Acme Analytics LLC",
                "We received your employer change: Acme Analytics LLC",
                "We received your employer deletion: Acme Analytics LLC",
            ],
        ),
        (
            lambda session, student, actor: request_email_change(
                session, student, "linh@new.example", actor=actor, today=TODAY
            ),
            ["We received your request to change your email address"],
        ),
    ],
)
def test_a_receipt_subject_names_what_was_reported(db_session, student, actor, report, subjects):
    report(db_session, student, actor)
    assert [email.subject for email in _emails(db_session, "report_receipt", student=student)] == subjects


def test_a_receipt_subject_is_one_short_line_whatever_the_employer_name(db_session, student, actor):
    add_employer(
        db_session, student, employer_form_data(name="Acme\n  Analytics " + "X" * 100), actor=actor, today=TODAY
    )
    [email] = _emails(db_session, "report_receipt", student=student)
    assert "\n" not in email.subject and email.subject.startswith("We received your new employer: Acme Analytics X")
    assert len(email.subject) < 120 and email.subject.endswith("…")


# ---------------------------------------------------------------- problem reports


@pytest.fixture
def support(factory):
    return Actor.for_user(factory.user(role=Role.SUPPORT))


def test_filing_a_problem_report_queues_problem_received_with_a_summary(db_session, student, actor, tmp_path):
    create_problem_report(
        db_session,
        student,
        actor=actor,
        description="I cannot see my STEM employer.\n" + "x" * 600,
        upload_dir=str(tmp_path),
    )
    [email] = _emails(db_session, "problem_received", student=student)
    assert email.to_address == "linh@example.edu"
    assert "I cannot see my STEM employer." in email.body_text and "x" * 400 not in email.body_text


def test_a_refused_problem_report_queues_nothing(db_session, student, actor, tmp_path):
    with pytest.raises(InvalidValue):
        create_problem_report(db_session, student, actor=actor, description=" ", upload_dir=str(tmp_path))
    assert _emails(db_session, "problem_received") == []


@pytest.mark.parametrize(
    ("changes", "answer"),
    [
        ({"note_to_student": "Your school has now recorded it."}, "Your school has now recorded it."),
        ({"status": "answered"}, "Support marked your report as answered"),
        ({"status": "answered", "note_to_student": "Fixed."}, "Fixed."),
    ],
)
def test_support_answering_queues_one_problem_answered(db_session, student, actor, support, tmp_path, changes, answer):
    report = create_problem_report(db_session, student, actor=actor, description="Help", upload_dir=str(tmp_path))
    update_problem_report(db_session, report, actor=support, **changes)
    [email] = _emails(db_session, "problem_answered", student=student)
    assert email.to_address == "linh@example.edu" and answer in email.body_text


def test_other_support_changes_do_not_email_the_student(db_session, factory, student, actor, tmp_path):
    support_user = factory.user(role=Role.SUPPORT)
    support = Actor.for_user(support_user)
    report = create_problem_report(db_session, student, actor=actor, description="Help", upload_dir=str(tmp_path))
    update_problem_report(db_session, report, actor=support, status="in_progress", assignee=support_user)
    update_problem_report(db_session, report, actor=support, status="closed")
    assert _emails(db_session, "problem_answered") == []
    update_problem_report(db_session, report, actor=support, status="answered", note_to_student="Done.")
    update_problem_report(db_session, report, actor=support, status="answered", note_to_student="Done.")  # no change
    assert len(_emails(db_session, "problem_answered")) == 1


def test_problem_emails_go_with_their_change(db_session, student, actor, support, tmp_path):
    _undone_with_its_change(
        db_session,
        lambda: create_problem_report(db_session, student, actor=actor, description="Help", upload_dir=str(tmp_path)),
        "problem_received",
    )
    report = create_problem_report(db_session, student, actor=actor, description="Help", upload_dir=str(tmp_path))
    _undone_with_its_change(
        db_session,
        lambda: update_problem_report(db_session, report, actor=support, status="answered"),
        "problem_answered",
    )


# ---------------------------------------------------------------- email_changed


def test_email_of_record_change_tells_the_old_and_the_new_address_in_its_transaction(
    db_session, student, student_user, dso
):
    def change():
        change_email_of_record(db_session, student, actor=dso, new_email="linh@new.example")
        emails = _emails(db_session, "email_changed", student=student)
        assert {(email.to_address, "did not make this change" in email.body_text) for email in emails} == {
            ("linh@example.edu", True),
            ("linh@new.example", False),
        }

    _undone_with_its_change(db_session, change, "email_changed")


def test_a_student_email_change_request_alone_sends_no_email_changed(db_session, student, actor):
    request_email_change(db_session, student, "linh@new.example", actor=actor, today=TODAY)
    assert _emails(db_session, "email_changed") == []


def test_the_data_feed_changing_email_and_address_tells_both_addresses_and_sends_no_receipt(db_session, student):
    records = [
        {
            "action": "PersonalInfo.Email",
            "sevis_id": student.sevis_id,
            "request_id": "1",
            "data": {"email": "linh@feed.example"},
        },
        {
            "action": "PersonalInfo.USAddress",
            "sevis_id": student.sevis_id,
            "request_id": "2",
            "data": {"line1": "5 Elm Street", "city": "Boston", "state": "MA", "postal_code": "02110"},
        },
    ]
    data = "\n".join(json.dumps(line) for line in ({"batch_id": "W1"}, *records)).encode()
    _batch, result = receive_batch(db_session, student.school, parse_batch(data))
    assert [record["status"] for record in result["records"]] == ["applied", "applied"]
    assert sorted(email.to_address for email in _emails(db_session, "email_changed", student=student)) == [
        "linh@example.edu",
        "linh@feed.example",
    ]
    assert _emails(db_session, "report_receipt") == []


def test_help_page_lists_the_account_locked_notice_with_how_to_unlock(client):
    page = client.get("/help/email-notices").get_data(as_text=True)
    assert 'id="account_locked"' in page and "/password/reset" in page and "five sign-in attempts" in page
