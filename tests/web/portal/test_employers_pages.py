"""Employer pages: list, add, edit with optimistic locking, delete with the confirmation; htmx and plain."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Employer, Event
from portal.models.enums import Role
from tests.support.files import pdf
from tests.web.conftest import HX


def form_data(student, **overrides):
    opt = student.program_records[-1].opt_authorizations[0]
    data = {
        "name": "Initech",
        "address_line1": "5 Office Park",
        "city": "Austin",
        "state": "TX",
        "postal_code": "78701",
        "ein": "987654321",
        "job_title": "Engineer",
        "employment_time": "full_time",
        "employment_type": "paid_employee",
        "start_date": max(opt.start_date, date.today() - timedelta(days=3)).isoformat(),
        "end_date": "",
        "course_relevance": "Software engineering, my major.",
        "supervisor_first_name": "",
        "supervisor_last_name": "",
        "supervisor_phone": "",
        "supervisor_phone_ext": "",
        "supervisor_email": "",
    }
    data.update(overrides)
    return data


def test_list_shows_employers_and_add_button(client, signed_in, factory, student):
    factory.employer(student, name="Acme Analytics LLC")
    body = client.get("/employers").get_data(as_text=True)
    assert "Acme Analytics LLC" in body and 'id="add-employer"' in body


def test_add_employer_plain_redirects_and_htmx_redirects(client, signed_in, student, db_session):
    response = client.post("/employers", data=form_data(student))
    assert response.status_code == 303 and response.headers["Location"].endswith("/employers")
    response = client.post("/employers", data=form_data(student, name="Hooli", ein="111111111"), headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/employers")
    names = set(db_session.scalars(select(Employer.name).where(Employer.student_id == student.id)))
    assert {"Initech", "Hooli"} <= names


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_add_employer_errors_are_422_on_the_field(client, signed_in, student, headers):
    response = client.post("/employers", data=form_data(student, postal_code="10001", name=""), headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the employer name." in body
    assert ("<html" in body) is (not headers)


@pytest.mark.parametrize("value", ["x" * 1_000_000, "<script>alert(1)</script>", "bad\x01char"])
def test_hostile_values_get_a_message_never_a_500(client, signed_in, student, value):
    response = client.post("/employers", data=form_data(student, name=value, city=value))
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_non_utf8_value_is_refused_on_the_field(client, signed_in, student):
    data = form_data(student)
    body = "&".join(f"{k}={v}" for k, v in data.items() if k != "name").encode() + b"&name=Caf\xe9"
    response = client.post("/employers", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422 and "Enter the employer name." in response.get_data(as_text=True)


def test_edit_with_a_stale_version_is_409_with_values_side_by_side(client, signed_in, factory, student, db_session):
    employer = factory.employer(student)
    page = client.get(f"/employers/{employer.id}/edit")
    assert page.status_code == 200 and f'value="{employer.version}"' in page.get_data(as_text=True)
    opened = employer.version
    employer.job_title = "Changed by DSO"
    db_session.flush()
    data = form_data(
        student, name=employer.name, start_date=employer.start_date.isoformat(), job_title="Mine", version=opened
    )
    for headers in ({}, HX):
        response = client.post(f"/employers/{employer.id}", data=data, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 409
        assert 'id="stale-comparison"' in body and "Changed by DSO" in body and "Mine" in body
    db_session.refresh(employer)
    assert employer.job_title == "Changed by DSO"


def test_edit_saves_with_the_current_version(client, signed_in, factory, student, db_session):
    employer = factory.employer(student)
    data = form_data(
        student,
        name=employer.name,
        ein=employer.ein,
        start_date=employer.start_date.isoformat(),
        job_title="Lead",
        version=employer.version,
    )
    assert client.post(f"/employers/{employer.id}", data=data).status_code == 303
    db_session.refresh(employer)
    assert employer.job_title == "Lead"


def test_edit_changing_the_name_asks_about_a_new_job(client, signed_in, factory, student):
    employer = factory.employer(student)
    data = form_data(
        student,
        name="New Name Inc",
        ein=employer.ein,
        start_date=employer.start_date.isoformat(),
        version=employer.version,
    )
    response = client.post(f"/employers/{employer.id}", data=data)
    assert response.status_code == 422 and "Add employer" in response.get_data(as_text=True)


def test_delete_confirmation_is_a_dialog_for_htmx_and_a_page_without(client, signed_in, factory, student):
    employer = factory.employer(student)
    partial = client.get(f"/employers/{employer.id}/delete", headers=HX).get_data(as_text=True)
    assert (
        partial.lstrip().startswith('<div class="portal-dialog"') and "I have never worked for this employer" in partial
    )
    page = client.get(f"/employers/{employer.id}/delete").get_data(as_text=True)
    assert "<html" in page and 'href="/employers"' in page


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_delete_without_the_tick_is_422(client, signed_in, factory, student, headers):
    employer = factory.employer(student)
    response = client.post(f"/employers/{employer.id}/delete", data={}, headers=headers)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Tick &#39;I have never worked for this employer&#39;" in body
    summary = body.split('class="usa-alert__heading"')[1].split("</ul>")[0]
    assert "I have never worked for this employer:" not in summary  # the message names the box; no label repeated
    assert employer.deleted_at is None


def test_delete_with_the_tick_soft_deletes_and_a_replay_is_409(client, signed_in, factory, student, db_session):
    employer = factory.employer(student)
    response = client.post(f"/employers/{employer.id}/delete", data={"never_worked": "y"}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/employers")
    db_session.refresh(employer)
    assert employer.deleted_at is not None
    assert db_session.scalar(
        select(Event).where(Event.event_type == "employer.deleted", Event.student_id == student.id)
    )
    assert client.post(f"/employers/{employer.id}/delete", data={"never_worked": "y"}).status_code == 409


def test_another_students_employer_is_404(client, signed_in, factory):
    other = factory.employer(factory.student())
    assert client.get(f"/employers/{other.id}/edit").status_code == 404
    assert client.get(f"/employers/{other.id}/delete").status_code == 404
    assert client.post(f"/employers/{other.id}/delete", data={"never_worked": "y"}).status_code == 404
    assert client.post(f"/employers/{other.id}", data={"name": "x"}).status_code == 404
    assert client.get("/employers/99999999/edit").status_code == 404


def test_re_adding_a_deleted_employer_points_to_the_dso(client, signed_in, factory, student):
    client.post("/employers", data=form_data(student))
    employer = factory.session.scalar(select(Employer).where(Employer.name == "Initech"))
    client.post(f"/employers/{employer.id}/delete", data={"never_worked": "y"})
    response = client.post("/employers", data=form_data(student))
    assert response.status_code == 422 and "Contact your DSO to restore it" in response.get_data(as_text=True)


def test_list_query_count_does_not_grow_with_employers(client, signed_in, factory, student, count_queries):
    factory.employer(student)
    with count_queries() as one:
        client.get("/employers")
    for n in range(19):
        factory.employer(student, name=f"Employer {n}", ein=None)
    with count_queries() as twenty:
        assert "Employer 18" in client.get("/employers").get_data(as_text=True)
    assert twenty["count"] == one["count"]


def test_stem_employer_is_submitted_with_its_i983_and_waits_for_review(client, factory, sign_in, db_session):
    today = date.today()
    student = factory.student(opt_start=today - timedelta(days=400), opt_end=today - timedelta(days=36))
    factory.stem_opt(student, status="approved")
    sign_in(factory.user(role=Role.STUDENT, student=student))
    assert 'name="i983"' in client.get("/employers/new").get_data(as_text=True)
    data = form_data(student, start_date=(today - timedelta(days=3)).isoformat())
    missing = client.post("/employers", data=data, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Form I-983" in missing.get_data(as_text=True)
    data["i983"] = (io.BytesIO(pdf()), "plan.pdf")
    assert client.post("/employers", data=data, content_type="multipart/form-data").status_code == 303
    assert "Waiting for school review" in client.get("/employers").get_data(as_text=True)


def test_stem_edit_shows_locked_fields_as_text_and_saves_the_allowed_ones(client, factory, sign_in, db_session):
    today = date.today()
    student = factory.student(opt_start=today - timedelta(days=400), opt_end=today - timedelta(days=36))
    stem = factory.stem_opt(student, status="approved")
    employer = factory.employer(student, opt_authorization=stem, start_date=stem.start_date, self_employed=True)
    sign_in(factory.user(role=Role.STUDENT, student=student))
    page = client.get(f"/employers/{employer.id}/edit").get_data(as_text=True)
    assert 'name="city"' not in page and 'name="job_title"' in page
    response = client.post(
        f"/employers/{employer.id}",
        data={"job_title": "Staff Engineer", "version": employer.version, "supervisor_first_name": "Grace"},
    )
    assert response.status_code == 303
    db_session.refresh(employer)
    assert employer.job_title == "Staff Engineer" and employer.city == "Boston"


@pytest.mark.parametrize("version", ["abc", "99999999999999999999999", "-1"])
def test_tampered_version_is_a_409_never_a_500(client, signed_in, factory, student, version):
    employer = factory.employer(student)
    data = form_data(student, name=employer.name, start_date=employer.start_date.isoformat(), version=version)
    assert client.post(f"/employers/{employer.id}", data=data).status_code == 409


def _event_count(db_session, student):
    return len(db_session.scalars(select(Event.id).where(Event.student_id == student.id).order_by(Event.id)).all())


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
@pytest.mark.parametrize("version", [None, "", "  "], ids=["absent", "empty", "blank"])
@pytest.mark.parametrize("action", ["", "/resubmit"], ids=["edit", "resubmit"])
def test_an_edit_without_its_version_is_422_asking_to_reload_and_changes_nothing(
    client, signed_in, factory, student, db_session, headers, version, action
):
    employer = factory.employer(student)
    data = form_data(
        student,
        name=employer.name,
        ein=employer.ein,
        start_date=employer.start_date.isoformat(),
        job_title="Posted without a version",
    )
    if version is not None:
        data["version"] = version
    events = _event_count(db_session, student)
    response = client.post(f"/employers/{employer.id}{action}", data=data, headers=headers)
    assert response.status_code == 422
    assert "Reload the page and make your changes again." in response.get_data(as_text=True)
    db_session.refresh(employer)
    assert employer.job_title != "Posted without a version"
    assert _event_count(db_session, student) == events
