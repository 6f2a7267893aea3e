"""Issue 12: the STEM review page. The DSO reads the employer's details beside its Form I-983, accepts it or returns
it with a note, and the student reads that note on their employers page."""

import pytest

from portal.models import Document
from portal.models.enums import EmployerReview, Role
from portal.services.actors import Actor
from portal.services.stem_employers import review_stem_employer


@pytest.fixture
def stem_student(factory, school):
    student = factory.student(school=school)
    factory.stem_opt(student)
    return student


@pytest.fixture
def waiting(factory, app, stem_student):
    stem = stem_student.program_records[-1].opt_authorizations[-1]
    employer = factory.employer(
        stem_student,
        opt_authorization=stem,
        start_date=stem.start_date,
        name="Lumen Labs Inc",
        ein="111222333",
        job_title="Research Engineer",
        supervisor_first_name="Grace",
        supervisor_last_name="Hopper",
        supervisor_email="grace@lumen.example.com",
        review_status=EmployerReview.WAITING,
    )
    factory.document(
        stem_student, upload_dir=app.config["UPLOAD_DIR"], filename="lumen-i983.pdf", employer_id=employer.id
    )
    return employer


def _url(student, employer):
    return f"/admin/students/{student.sevis_id}/employers/{employer.id}/review"


def test_the_review_page_shows_the_employers_details_beside_its_i983(client, dso, stem_student, waiting, db_session):
    i983 = db_session.query(Document).filter_by(employer_id=waiting.id).one()
    info = client.get(f"/admin/students/{stem_student.sevis_id}").get_data(as_text=True)
    assert f'href="{_url(stem_student, waiting)}"' in info  # Student Information links to the review
    page = client.get(_url(stem_student, waiting)).get_data(as_text=True)
    for expected in (
        "Lumen Labs Inc",
        "111222333",
        "Research Engineer",
        "Grace Hopper",
        "grace@lumen.example.com",
        "Full time",
        "STEM OPT",
        "Waiting for your review",
        "lumen-i983.pdf",
        f'href="/admin/students/{stem_student.sevis_id}/documents/{i983.id}"',
        "Accept Lumen Labs Inc",
        "Return Lumen Labs Inc to the student",
    ):
        assert expected in page, expected
    assert "full_time" not in page and "waiting<" not in page  # words, not codes


def test_a_return_without_a_note_is_a_422_on_the_note_and_changes_nothing(
    client, dso, stem_student, waiting, db_session
):
    response = client.post(_url(stem_student, waiting), data={"decision": "return", "note": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="note-error"' in page and "why the employer is returned" in page
    db_session.refresh(waiting)
    assert waiting.review_status is EmployerReview.WAITING


def test_a_decision_that_is_neither_is_a_422(client, dso, stem_student, waiting):
    response = client.post(_url(stem_student, waiting), data={"decision": "maybe"})
    assert response.status_code == 422 and "Choose Accept or Return." in response.get_data(as_text=True)


def test_the_returned_employer_shows_the_student_the_reason(
    client, factory, sign_in, dso, stem_student, waiting, db_session
):
    reason = "The EIN on the Form I-983 is 111-22-2334; correct the one you entered."
    response = client.post(_url(stem_student, waiting), data={"decision": "return", "note": reason})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/admin/students/{stem_student.sevis_id}"
    )
    db_session.refresh(waiting)
    assert waiting.review_status is EmployerReview.RETURNED
    after = client.get(_url(stem_student, waiting)).get_data(as_text=True)
    assert "not waiting for your review" in after and "Returned to the student" in after and reason in after
    assert client.post(_url(stem_student, waiting), data={"decision": "accept"}).status_code == 409

    client.post("/sign-out")
    sign_in(factory.user(role=Role.STUDENT, student=stem_student))
    page = client.get("/employers").get_data(as_text=True)
    assert "Your school's reason" in page and reason in page and "Correct and resubmit" in page


def test_the_student_sees_only_the_latest_reason_and_none_once_accepted(
    client, factory, sign_in, db_session, dso, stem_student, waiting
):
    actor = Actor.for_user(dso)
    review_stem_employer(db_session, waiting, actor=actor, accept=False, note="First reason.")
    waiting.review_status = EmployerReview.WAITING  # resubmitted
    review_stem_employer(db_session, waiting, actor=actor, accept=False, note="Second reason.")
    client.post("/sign-out")
    sign_in(factory.user(role=Role.STUDENT, student=stem_student))
    page = client.get("/employers").get_data(as_text=True)
    assert "Second reason." in page and "First reason." not in page
    waiting.review_status = EmployerReview.WAITING
    review_stem_employer(db_session, waiting, actor=actor, accept=True)
    assert "Your school's reason" not in client.get("/employers").get_data(as_text=True)


def test_an_accepted_employer_counts_and_the_page_lists_the_decision(client, dso, stem_student, waiting, db_session):
    assert client.post(_url(stem_student, waiting), data={"decision": "accept"}).status_code == 303
    db_session.refresh(waiting)
    assert waiting.review_status is EmployerReview.ACCEPTED
    page = client.get(_url(stem_student, waiting)).get_data(as_text=True)
    assert "Earlier decisions" in page and "Accepted" in page


def test_another_schools_employer_or_student_is_a_404(client, factory, dso, stem_student, waiting):
    other = factory.student()
    other_employer = factory.employer(other, review_status=EmployerReview.WAITING)
    assert client.get(_url(other, other_employer)).status_code == 404
    assert client.get(_url(stem_student, other_employer)).status_code == 404
    assert client.post(_url(other, other_employer), data={"decision": "accept"}).status_code == 404
