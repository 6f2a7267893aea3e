"""Queued email: rendered from the named template, with a reference code and the student's school office, and never a
readable link."""

import pytest
from sqlalchemy import select

from portal.mail.catalog import CATALOG, LINK_PLACEHOLDER, SAMPLE_REFERENCE_CODE, render
from portal.mail.outbox import insert_new_emails, queue_email, without_office
from portal.models import OutboxEmail
from portal.models.enums import EmailStatus


def test_queued_email_is_rendered_and_carries_its_reference_code(factory, db_session):
    student = factory.student()
    email = queue_email(
        db_session,
        template="account_creation",
        to=student.email,
        student=student,
        context={"student_name": student.full_name, "days_valid": 14},
        link_ref="account_link:1",
    )
    stored = db_session.get(OutboxEmail, email.id)
    assert stored.status is EmailStatus.QUEUED
    assert stored.subject == "Create your OPT Portal account"
    assert stored.reference_code.startswith("OPT-") and stored.reference_code in stored.body_text
    assert stored.reference_code in stored.body_html
    assert student.full_name in stored.body_text


def test_stored_body_holds_a_placeholder_not_the_link(factory, db_session):
    student = factory.student()
    email = queue_email(
        db_session,
        template="account_creation",
        to=student.email,
        student=student,
        context={"student_name": "X", "days_valid": 14},
        link_ref="account_link:1",
    )
    assert LINK_PLACEHOLDER in email.body_text
    assert "/account/create/" not in email.body_text and "/account/create/" not in email.body_html


OFFICE = {
    "name": "Office of International Students",
    "lines": ["Email: isso@school.example.edu", "Phone: (617) 555-0100"],
}


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_a_students_email_names_their_office_and_a_send_time_check_reads_past_it(app, name):
    sample = {**CATALOG[name].sample, "reference_code": SAMPLE_REFERENCE_CODE}
    with app.test_request_context():
        _, with_office, html = render(name, {**sample, "office": OFFICE})
        _, plain, _ = render(name, sample)
    if "Reference code" in with_office:  # the emails to students; officials' emails carry no office block
        assert (
            "How to reach your DSOs: Office of International Students\nEmail: isso@school.example.edu\n" in with_office
        )
        assert "(617) 555-0100" in html
    assert without_office(with_office) == plain


def test_queued_emails_to_a_student_carry_their_schools_office(app, factory, db_session):
    student = factory.student()
    student.school.office_email, student.school.office_phone = "isso@school.example.edu", "6175550100"
    context = CATALOG["access_ended"].sample
    queue_email(db_session, template="access_ended", to=student.email, context=context, student=student)
    insert_new_emails(
        db_session,
        [
            {
                "template": "access_ended",
                "to": student.email,
                "context": context,
                "student_id": student.id,
                "school_id": student.school_id,
                "dedupe_key": "office-test",
                "due_on": None,
            }
        ],
    )
    bodies = db_session.scalars(select(OutboxEmail.body_text).order_by(OutboxEmail.id)).all()
    assert len(bodies) == 2
    assert all("Email: isso@school.example.edu\nPhone: (617) 555-0100\n" in body for body in bodies)
