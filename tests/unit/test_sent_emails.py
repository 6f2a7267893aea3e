"""What the communications pages read: emails sent to a school's students or to one student, newest first."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.mail.outbox import queue_email
from portal.services.sent_emails import sent_emails

CONTEXT = {"student_name": "Terry", "reported_on": "March 1, 2026", "summary": "x"}


@pytest.fixture
def mail(factory, db_session):
    school = factory.school()
    zhang = factory.student(school=school, surname="Zhang", sevis_id="N0012345678")
    other = factory.student(school=school, surname="Percent%")
    elsewhere = factory.student(surname="Zhang")
    sent = []
    for n, student in enumerate((zhang, other, zhang, elsewhere)):
        with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n), tick=False):
            sent.append(
                queue_email(db_session, template="problem_received", to=student.email, student=student, context=CONTEXT)
            )
    return {"school": school, "zhang": zhang, "sent": sent}


def _emails(session, **kwargs):
    rows, total = sent_emails(session, **{"page": 1, "per_page": 25, **kwargs})
    return [email for email, _student in rows], total


def test_a_schools_emails_newest_first_and_one_students(db_session, mail):
    sent = mail["sent"]
    assert _emails(db_session, school_id=mail["school"].id) == ([sent[2], sent[1], sent[0]], 3)
    assert _emails(db_session, school_id=None, student_id=mail["zhang"].id) == ([sent[2], sent[0]], 2)
    assert _emails(db_session, school_id=mail["school"].id, per_page=2, page=2) == ([sent[0]], 3)


@pytest.mark.parametrize(("q", "expected"), [("zhang", [2, 0]), ("n0012345678", [2, 0]), ("%", [1]), ("nobody", [])])
def test_a_search_matches_the_sevis_id_a_name_or_the_address_and_wildcards_are_characters(
    db_session, mail, q, expected
):
    emails, total = _emails(db_session, school_id=mail["school"].id, q=q)
    assert emails == [mail["sent"][n] for n in expected] and total == len(expected)


def test_the_template_filter(db_session, mail):
    assert _emails(db_session, school_id=mail["school"].id, template="problem_answered") == ([], 0)
