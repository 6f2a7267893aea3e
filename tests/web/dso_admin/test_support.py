"""Support: read-only across schools; the problem queue; every mutating route refuses support."""

import pytest

from portal.models import ProblemReport
from portal.models.enums import ProblemStatus, Role


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
    for expected in ("Anywhere", "Event history", "student.created", "Program records", "Communications", "Not created"):
        assert expected.lower() in body.lower()


@pytest.mark.parametrize("raw", ["N123", "<script>", "x" * 1000])
def test_a_malformed_sevis_id_gets_a_message(client, support_user, raw):
    response = client.get("/support/", query_string={"sevis_id": raw})
    assert response.status_code == 422 and "letter N followed by 10 digits" in response.get_data(as_text=True)


def test_an_unknown_sevis_id_is_a_404(client, support_user):
    assert client.get("/support/students/N9999999999").status_code == 404


def _report(db_session, student):
    report = ProblemReport(student_id=student.id, reporter_name=student.full_name, sevis_id=student.sevis_id,
                           description="I cannot see my employer.")  # fmt: skip
    db_session.add(report)
    db_session.flush()
    return report


def test_support_assigns_sets_status_and_writes_a_note(client, factory, support_user, db_session):
    report = _report(db_session, factory.student())
    assert "I cannot see my employer." in client.get("/support/problems").get_data(as_text=True)
    response = client.post(f"/support/problems/{report.id}", data={"status": "answered", "assignee": str(support_user.id),
                                                                   "note_to_student": "Your DSO restored it."})  # fmt: skip
    assert response.status_code == 303
    db_session.refresh(report)
    assert report.status is ProblemStatus.ANSWERED and report.assigned_to_user_id == support_user.id
    assert report.note_to_student == "Your DSO restored it."


@pytest.mark.parametrize("data", [{"status": "bogus"}, {"assignee": "abc"}, {"assignee": "999999"}, {"note_to_student": "\x00" * 3}])
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
        from flask import url_for

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
