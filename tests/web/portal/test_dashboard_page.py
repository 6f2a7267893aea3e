"""Dashboard: program, OPTs, what to report, the unemployment meter in words with a warning from 60 days."""

from datetime import date, timedelta

import pytest

from portal.mail.outbox import queue_email
from portal.models import Document, ProblemReport
from portal.models.enums import EducationLevel, ProgramStatus, Role
from portal.services.actors import Actor
from portal.services.contact import update_phone
from portal.services.students import open_program_record


def _sign_in_student(factory, sign_in, **kwargs):
    student = factory.student(**kwargs)
    assert sign_in(factory.user(role=Role.STUDENT, student=student)).status_code == 303
    return student


def test_dashboard_shows_program_opt_and_meter_in_words(client, factory, sign_in):
    today = date.today()
    student = _sign_in_student(factory, sign_in, opt_start=today - timedelta(days=9))
    body = client.get("/dashboard").get_data(as_text=True)
    assert student.sevis_id in body and "Post-completion OPT" in body and "Approved" in body
    assert 'id="unemployment-meter"' in body and 'max="90"' in body
    assert "ten (10)" in body and "of your\n    ninety (90)" in body and "Eighty (80)" in body
    assert "You have no current employer" in body
    assert 'id="unemployment-warning"' not in body


def test_warning_from_sixty_days(client, factory, sign_in):
    _sign_in_student(factory, sign_in, opt_start=date.today() - timedelta(days=59))
    body = client.get("/dashboard").get_data(as_text=True)
    assert "sixty (60)" in body and 'id="unemployment-warning"' in body


def test_employment_stops_the_count(client, factory, sign_in):
    student = _sign_in_student(factory, sign_in, opt_start=date.today() - timedelta(days=30))
    factory.employer(student, start_date=date.today() - timedelta(days=20))
    body = client.get("/dashboard").get_data(as_text=True)
    assert "ten (10)" in body and "You have no current employer" not in body


def test_early_completion_shows_read_only_and_until_when(client, factory, sign_in):
    student = _sign_in_student(factory, sign_in)
    program = student.program_records[-1]
    program.status = ProgramStatus.COMPLETED
    program.completed_on = date.today() - timedelta(days=1)
    body = client.get("/dashboard").get_data(as_text=True)
    assert 'id="read-only-notice"' in body and "before your OPT end date" in body
    employers = client.get("/employers").get_data(as_text=True)
    assert 'id="add-employer"' not in employers
    assert client.get("/employers/new").status_code == 403


def test_denied_stem_is_not_shown(client, factory, sign_in):
    student = _sign_in_student(factory, sign_in)
    factory.stem_opt(student, status="denied")
    assert "STEM OPT extension" not in client.get("/dashboard").get_data(as_text=True)
    factory.stem_opt(student, status="pending")
    assert "STEM OPT extension" in client.get("/dashboard").get_data(as_text=True)


def test_dashboard_query_count_does_not_grow(client, factory, sign_in, count_queries):
    student = _sign_in_student(factory, sign_in)
    factory.employer(student)
    with count_queries() as one:
        client.get("/dashboard")
    for n in range(19):
        factory.employer(student, name=f"E{n}", ein=None)
    with count_queries() as twenty:
        client.get("/dashboard")
    assert twenty["count"] == one["count"]


@pytest.mark.parametrize("path", ["/dashboard", "/employers", "/contact", "/history", "/history/emails"])
def test_student_pages_refuse_other_roles_and_anonymous(client, factory, sign_in, path):
    assert client.get(path).status_code in (302, 303)
    sign_in(factory.user(role=Role.DSO))
    assert client.get(path).status_code == 403


def _grow(factory, db_session, student, user, n):
    for i in range(n):
        factory.employer(student, name=f"Grown {i}", ein=None)
        update_phone(
            db_session, student, f"61755502{i:02d}", actor=Actor.for_user(user), expected_version=student.version
        )
        queue_email(
            db_session,
            template="account_creation",
            to=student.email,
            student=student,
            context={"student_name": "x", "site_name": "OPT Portal", "days_valid": 7},
        )
        db_session.add(
            Document(
                student_id=student.id,
                kind="i983",
                original_filename=f"{i}.pdf",
                stored_name=__import__("secrets").token_hex(24),
                content_type="application/pdf",
                size_bytes=1,
                sha256="0" * 64,
            )
        )
        db_session.add(
            ProblemReport(student_id=student.id, reporter_name="x", sevis_id=student.sevis_id, description="d")
        )
    db_session.flush()


@pytest.mark.parametrize(
    "path",
    ["/dashboard", "/employers", "/contact", "/history", "/history/emails", "/documents", "/problems", "/record"],
)
def test_every_student_page_issues_a_constant_number_of_statements(
    client, factory, sign_in, db_session, count_queries, path
):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    sign_in(user)
    factory.address(student)
    _grow(factory, db_session, student, user, 1)
    client.get(path)  # warm the identity map the same way for both counts
    with count_queries() as one:
        assert client.get(path).status_code == 200
    _grow(factory, db_session, student, user, 19)
    client.get(path)
    with count_queries() as twenty:
        assert client.get(path).status_code == 200
    assert twenty["count"] == one["count"], twenty["statements"]


def test_after_a_transfer_only_the_new_record_shows_and_no_employer_can_be_added(client, factory, sign_in, db_session):
    student = _sign_in_student(factory, sign_in)
    factory.employer(student, name="Old Program Employer")
    student.program_records[-1].status = ProgramStatus.TRANSFERRED
    open_program_record(
        db_session,
        factory.system,
        student,
        education_level=EducationLevel.DOCTORATE,
        start_date=date.today(),
        end_date=date.today() + timedelta(days=1400),
        major="Statistics",
    )
    body = client.get("/dashboard").get_data(as_text=True)
    assert "Doctorate" in body and "Post-completion OPT" not in body
    employers = client.get("/employers").get_data(as_text=True)
    assert "Old Program Employer" not in employers and 'id="add-employer"' not in employers
    assert client.get("/employers/new").status_code == 403
    assert client.get("/history").get_data(as_text=True).count("Program record opened") == 2  # History keeps both
