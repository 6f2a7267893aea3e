"""Support: read-only across schools; the problem queue; every mutating route refuses support."""

import pytest
from flask import url_for

from portal.models import ProblemReport
from portal.models.enums import ProblemStatus, Role
from portal.services import student_lookup
from tests.support.files import PNG


@pytest.fixture
def support_user(factory, sign_in):
    user = factory.user(role=Role.SUPPORT)
    sign_in(user)
    return user


def test_look_up_by_sevis_id_in_any_school(client, factory, support_user):
    student = factory.student(surname="Anywhere")
    response = client.get("/support/", query_string={"sevis_id": student.sevis_id.lower()})
    assert response.status_code == 303
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    for expected in (
        "Anywhere",
        "Event history",
        "student.created",
        "Program records",
        "Communications",
        "Not created",
    ):
        assert expected.lower() in body.lower()


def test_the_history_filter_swaps_only_the_event_list_for_htmx(client, factory, support_user):
    student = factory.student()
    url = f"/support/students/{student.sevis_id}"
    body = client.get(url, query_string={"event_type": "program.opened"}, headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert body.lstrip().startswith('<div id="event-history"') and "Communications" not in body
    assert f'hx-get="{url}"' in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [("x", "at least 2 characters"), ("x" * 1000, "at most 200 characters"), ("Ok\x00afor", "at most 200 characters")],
)
def test_a_look_up_too_short_too_long_or_with_control_characters_gets_a_message(client, support_user, raw, message):
    response = client.get("/support/", query_string={"q": raw})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'aria-invalid="true"' in body


@pytest.mark.parametrize("field", ["surname", "given", "full name", "email", "email domain", "partial SEVIS ID"])
def test_support_finds_a_student_of_any_school_by_name_email_or_sevis_id(client, factory, support_user, field):
    other_school = factory.school(name="Lakeshore College")
    wanted = factory.student(
        school=other_school,
        surname="Okonkwo",
        given_name="Adaeze",
        sevis_id="N7777777712",
        email="adaeze.o@lakeshore.example.edu",
    )
    factory.student(surname="Someone", given_name="Else", email="else@elsewhere.example.edu")
    query = {
        "surname": "okonk",
        "given": "Adaeze",
        "full name": "adaeze okonkwo",
        "email": "adaeze.o@",
        "email domain": "lakeshore.example",
        "partial SEVIS ID": "n77777777",
    }[field]
    response = client.get("/support/", query_string={"q": query})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/support/students/{wanted.sevis_id}">Okonkwo, Adaeze</a>' in body and "Lakeshore College" in body
    assert "Someone, Else" not in body


def test_a_look_up_that_matches_nobody_says_so_and_wildcards_are_characters(client, factory, support_user):
    factory.student(surname="Percent")
    body = client.get("/support/", query_string={"q": "%%"}).get_data(as_text=True)
    assert "No student" in body and "Percent" not in body


def test_a_full_sevis_id_opens_the_student_with_either_parameter(client, factory, support_user):
    student = factory.student()
    for name in ("q", "sevis_id"):
        response = client.get("/support/", query_string={name: f" {student.sevis_id.lower()} "})
        assert response.status_code == 303 and response.headers["Location"].endswith(
            f"/support/students/{student.sevis_id}"
        )


def test_the_look_up_is_capped_and_says_there_are_more(client, factory, support_user, monkeypatch):
    for number in range(4):
        factory.student(surname=f"Capped{number}")
    monkeypatch.setattr(student_lookup, "LOOK_UP_LIMIT", 3)
    body = client.get("/support/", query_string={"q": "capped"}).get_data(as_text=True)
    assert "Capped2" in body and "Capped3" not in body and "Only the first 3 are shown" in body


def test_an_unknown_sevis_id_is_a_404(client, support_user):
    assert client.get("/support/students/N9999999999").status_code == 404


def _report(db_session, student):
    report = ProblemReport(
        student_id=student.id,
        reporter_name=student.full_name,
        sevis_id=student.sevis_id,
        description="I cannot see my employer.",
    )
    db_session.add(report)
    db_session.flush()
    return report


def test_support_assigns_sets_status_and_writes_a_note(client, factory, support_user, db_session):
    report = _report(db_session, factory.student())
    assert "I cannot see my employer." in client.get("/support/problems").get_data(as_text=True)
    response = client.post(
        f"/support/problems/{report.id}",
        data={"status": "answered", "assignee": str(support_user.id), "note_to_student": "Your DSO restored it."},
    )
    assert response.status_code == 303
    db_session.refresh(report)
    assert report.status is ProblemStatus.ANSWERED and report.assigned_to_user_id == support_user.id
    assert report.note_to_student == "Your DSO restored it."


@pytest.mark.parametrize(
    "data", [{"status": "bogus"}, {"assignee": "abc"}, {"assignee": "999999"}, {"note_to_student": "\x00" * 3}]
)
def test_bad_problem_updates_get_a_message_never_a_500(client, factory, support_user, db_session, data):
    report = _report(db_session, factory.student())
    response = client.post(f"/support/problems/{report.id}", data=data, follow_redirects=True)
    assert response.status_code == 200
    db_session.refresh(report)
    assert report.status is ProblemStatus.NEW


def test_a_dso_cannot_use_support_pages(client, factory, sign_in):
    sign_in(factory.user(role=Role.DSO))
    assert client.get("/support/").status_code == 403


# Routes that change no student data: signing in and out, one's own password and MFA, and support's own queue.
NOT_STUDENT_DATA = ("auth.", "account.", "help.", "static", "support.update_problem", "health.")
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _url(app, rule):
    values = {}
    for argument in rule.arguments:
        converter = rule._converters[argument].__class__.__name__
        values[argument] = 1 if "Integer" in converter else "N0000000001"
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def test_every_mutating_route_refuses_support(app, client, factory, support_user, db_session):
    factory.student(sevis_id="N0000000001")
    checked = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & MUTATING
        if not methods or rule.endpoint.startswith(NOT_STUDENT_DATA):
            continue
        for method in methods:
            response = client.open(_url(app, rule), method=method, data={"email": "x@example.edu"})
            assert response.status_code == 403, (rule.rule, method, response.status_code)
            checked.append(rule.rule)
    assert any(rule.startswith("/admin/") for rule in checked)


def _report_with_screenshot(factory, db_session, app, student, text="The DSO restored the wrong employer."):
    report = ProblemReport(
        student_id=student.id, reporter_name=student.full_name, sevis_id=student.sevis_id, description=text
    )
    db_session.add(report)
    db_session.flush()

    shot = factory.document(
        student,
        upload_dir=app.config["UPLOAD_DIR"],
        kind="screenshot",
        data=PNG,
        content_type="image/png",
        filename="restore.png",
        problem_report_id=report.id,
    )
    return report, shot


def test_the_schools_dsos_read_problem_reports_on_student_information_without_answering(
    client, factory, sign_in, db_session, app
):
    school = factory.school()
    student = factory.student(school=school)
    report, shot = _report_with_screenshot(factory, db_session, app, student)
    report.note_to_student = "We asked your DSO to look again."
    db_session.flush()
    sign_in(factory.user(role=Role.DSO, school=school))
    page = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    section = page[page.index('id="problem-reports"') :]
    assert "The DSO restored the wrong employer." in section and "We asked your DSO to look again." in section
    assert "New" in section and f'href="/admin/students/{student.sevis_id}/documents/{shot.id}"' in section
    assert "support/problems" not in section and "note_to_student" not in section  # read-only for the school
    assert client.get(f"/admin/students/{student.sevis_id}/documents/{shot.id}").mimetype == "image/png"


def test_another_schools_dso_sees_none_of_a_students_problem_reports(client, factory, sign_in, db_session, app):
    student = factory.student()
    _report_with_screenshot(factory, db_session, app, student)
    sign_in(factory.user(role=Role.DSO))
    assert client.get(f"/admin/students/{student.sevis_id}").status_code == 404


def test_support_reads_a_report_on_the_students_page_opens_the_screenshot_and_answers(
    client, factory, support_user, db_session, app
):
    student = factory.student()
    report, shot = _report_with_screenshot(factory, db_session, app, student)
    page = client.get(f"/support/students/{student.sevis_id}").get_data(as_text=True)
    url = f"/support/students/{student.sevis_id}/documents/{shot.id}"
    assert "The DSO restored the wrong employer." in page and f'href="{url}"' in page
    assert client.get(url).data.startswith(b"\x89PNG")
    assert f'href="{url}"' in client.get("/support/problems").get_data(as_text=True)  # the queue links it too
    response = client.post(
        f"/support/problems/{report.id}",
        data={"status": "answered", "back": "student", "note_to_student": "Your DSO fixed it."},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/support/students/{student.sevis_id}"
    )
    db_session.refresh(report)
    assert report.status is ProblemStatus.ANSWERED and report.note_to_student == "Your DSO fixed it."
    assert "Answered" in client.get(f"/support/students/{student.sevis_id}").get_data(as_text=True)
