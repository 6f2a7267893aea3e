"""STEM duties on the student's pages: the dashboard prompt, Confirm my details, evaluations, a returned employer."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Document, Employer
from portal.models.enums import EmployerReview, ObligationKind, Role
from portal.services.clock import add_months, today_eastern
from portal.services.obligations import stem_obligations
from tests.support.factories import employer_form_data
from tests.support.files import pdf
from tests.web.conftest import HX


def _stem_student(factory, *, stem_start):
    student = factory.student(opt_start=stem_start - timedelta(days=365), opt_end=stem_start - timedelta(days=1))
    factory.stem_opt(student, start=stem_start)
    factory.address(student, line1="12 Main Street", city="Boston")
    return student


@pytest.fixture
def student(factory):
    """On STEM OPT, six months in today: the 6-month confirmation is open."""
    return _stem_student(factory, stem_start=add_months(today_eastern(), -6))


def _confirmations(db_session, student):
    return [o for o in stem_obligations(db_session, student) if o.kind is ObligationKind.STEM_VALIDATION]


def test_the_dashboard_asks_for_the_open_confirmation_and_the_form_shows_the_details(client, signed_in, student):
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Confirm your details" in page and 'href="/stem/confirm"' in page
    form = client.get("/stem/confirm").get_data(as_text=True)
    assert student.full_name in form and "12 Main Street, Boston, MA 02110" in form
    assert "Not employed: no current employer reported" in form


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_confirming_stores_the_submission_on_the_obligation_and_the_prompt_goes(
    client, signed_in, student, db_session, headers
):
    response = client.post(
        "/stem/confirm", data={"details_correct": "no", "changes": "New job at Initech from May 1."}, headers=headers
    )
    assert response.status_code == (204 if headers else 303)
    (obligation,) = [o for o in _confirmations(db_session, student) if o.submitted_at is not None]
    assert obligation.submission["changes"] == "New job at Initech from May 1."
    assert "Confirm your details" not in client.get("/dashboard").get_data(as_text=True)


def test_something_changed_without_saying_what_is_422_on_the_field(client, signed_in, student):
    response = client.post("/stem/confirm", data={"details_correct": "no", "changes": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="changes-error"' in page and "Tell your school what changed" in page


def test_confirming_when_nothing_is_open_is_refused_with_the_next_date(client, factory, sign_in, db_session):
    student = _stem_student(factory, stem_start=today_eastern() - timedelta(days=60))
    sign_in(factory.user(role=Role.STUDENT, student=student))
    assert "Confirm your details" not in client.get("/dashboard").get_data(as_text=True)
    response = client.post("/stem/confirm", data={"details_correct": "yes"})
    assert response.status_code == 409 and "nothing to confirm now" in response.get_data(as_text=True)
    assert all(o.submitted_at is None for o in _confirmations(db_session, student))


def _upload_evaluation(client, evaluation="i983_evaluation", data=None):
    return client.post(
        "/documents/evaluations",
        content_type="multipart/form-data",
        data={"evaluation-evaluation": evaluation, "evaluation-file": (io.BytesIO(data or pdf()), "evaluation.pdf")},
    )


def test_a_stem_student_uploads_an_evaluation(client, factory, sign_in, db_session):
    student = _stem_student(factory, stem_start=add_months(today_eastern(), -12))
    sign_in(factory.user(role=Role.STUDENT, student=student))
    assert 'id="evaluation-form"' in client.get("/documents").get_data(as_text=True)
    assert _upload_evaluation(client).status_code == 303
    document = db_session.scalar(select(Document).where(Document.student_id == student.id))
    assert document.obligation_id is not None and "Form I-983 evaluation" in client.get("/documents").get_data(
        as_text=True
    )


def test_an_evaluation_for_an_opt_that_is_not_stem_is_422_on_the_field(client, factory, sign_in, db_session):
    student = factory.student()
    sign_in(factory.user(role=Role.STUDENT, student=student))
    response = _upload_evaluation(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="evaluation-evaluation-error"' in page and "not one" in page
    assert db_session.scalar(select(Document).where(Document.student_id == student.id)) is None


def test_a_returned_stem_employer_is_corrected_and_resubmitted_then_counts_once_accepted(
    client, factory, sign_in, db_session, student
):
    stem = student.program_records[-1].opt_authorizations[-1]
    employer = factory.employer(
        student, opt_authorization=stem, start_date=stem.start_date, review_status=EmployerReview.RETURNED
    )
    sign_in(factory.user(role=Role.STUDENT, student=student))
    assert "returned by the school" in client.get("/stem/confirm").get_data(as_text=True)
    assert f"/employers/{employer.id}/resubmit" in client.get("/employers").get_data(as_text=True)
    form = client.get(f"/employers/{employer.id}/resubmit").get_data(as_text=True)
    assert 'name="city"' in form and 'name="i983"' in form  # the locked fields are editable here
    data = employer_form_data(
        city="Cambridge", postal_code="02139", start_date=stem.start_date.isoformat(), version=str(employer.version)
    )
    data["i983"] = (io.BytesIO(pdf()), "i983.pdf")
    response = client.post(f"/employers/{employer.id}/resubmit", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    db_session.refresh(employer)
    assert (employer.city, employer.review_status) == ("Cambridge", EmployerReview.WAITING)
    assert "waiting for the school" in client.get("/stem/confirm").get_data(as_text=True)
    employer.review_status = EmployerReview.ACCEPTED  # the DSO's review is tested on its own page
    db_session.flush()
    assert "Employed full time since" in client.get("/stem/confirm").get_data(as_text=True)


def test_resubmitting_an_employer_that_was_not_returned_is_409(client, signed_in, factory, student, db_session):
    employer = factory.employer(
        student,
        opt_authorization=student.program_records[-1].opt_authorizations[-1],
        start_date=date.today(),
        review_status=EmployerReview.ACCEPTED,
    )
    data = employer_form_data(version=str(employer.version), start_date=date.today().isoformat())
    data["i983"] = (io.BytesIO(pdf()), "i983.pdf")
    response = client.post(f"/employers/{employer.id}/resubmit", data=data, content_type="multipart/form-data")
    assert response.status_code == 409 and "returned" in response.get_data(as_text=True)
    assert db_session.get(Employer, employer.id).review_status is EmployerReview.ACCEPTED
