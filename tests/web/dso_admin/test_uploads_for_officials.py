"""Issue 12: the uploads those who judge them must see. A school's officials open their own students' Form I-983s,
evaluations, EAD cards and problem screenshots; support opens any school's; anyone else gets a 404 (another school's
official) or a 403 (a role the route is not for). A PDF is an attachment, a photo an image; both nosniff and
sandboxed."""

import pytest

from portal.models import ProblemReport, utcnow
from portal.models.enums import Role
from tests.support.files import JPEG, PNG, pdf

SANDBOX = "sandbox; default-src 'none'"
KINDS = {
    "i983": dict(kind="i983", data=pdf(), content_type="application/pdf", filename="form-i983.pdf"),
    "evaluation": dict(kind="evaluation", data=pdf(), content_type="application/pdf", filename="evaluation.pdf"),
    "ead_card_photo": dict(kind="ead_card", data=JPEG, content_type="image/jpeg", filename="ead.jpg"),
    "screenshot": dict(kind="screenshot", data=PNG, content_type="image/png", filename="shot.png"),
}


@pytest.fixture
def student(factory, school):
    return factory.student(school=school)


def _upload(factory, db_session, app, student, name):
    links = {}
    if name == "screenshot":
        report = ProblemReport(
            student_id=student.id,
            reporter_name=student.full_name,
            sevis_id=student.sevis_id,
            description="The page froze.",
        )
        db_session.add(report)
        db_session.flush()
        links["problem_report_id"] = report.id
    return factory.document(student, upload_dir=app.config["UPLOAD_DIR"], **KINDS[name], **links)


def _check_served(response, spec):
    assert response.status_code == 200 and response.data == spec["data"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == SANDBOX
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers.get("Content-Disposition", "")
    if spec["content_type"] == "application/pdf":
        assert disposition.startswith("attachment;") and response.mimetype == "application/pdf"
    else:
        assert disposition.startswith("inline") and response.mimetype == spec["content_type"]


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO])
def test_the_schools_officials_open_each_kind_of_upload(
    client, factory, sign_in, db_session, app, school, student, name, role
):
    document = _upload(factory, db_session, app, student, name)
    sign_in(factory.user(role=role, school=school))
    _check_served(client.get(f"/admin/students/{student.sevis_id}/documents/{document.id}"), KINDS[name])


@pytest.mark.parametrize("name", KINDS)
def test_another_schools_official_gets_a_404_for_each_kind(client, factory, sign_in, db_session, app, student, name):
    document = _upload(factory, db_session, app, student, name)
    other_school = factory.school()
    sign_in(factory.user(role=Role.DSO, school=other_school))
    assert client.get(f"/admin/students/{student.sevis_id}/documents/{document.id}").status_code == 404
    # Nor through one of their own students: the file must belong to the student in the address.
    own = factory.student(school=other_school)
    assert client.get(f"/admin/students/{own.sevis_id}/documents/{document.id}").status_code == 404


@pytest.mark.parametrize("name", KINDS)
def test_support_opens_each_kind_in_any_school(client, factory, sign_in, db_session, app, student, name):
    document = _upload(factory, db_session, app, student, name)
    sign_in(factory.user(role=Role.SUPPORT))
    _check_served(client.get(f"/support/students/{student.sevis_id}/documents/{document.id}"), KINDS[name])
    another = factory.student()
    assert client.get(f"/support/students/{another.sevis_id}/documents/{document.id}").status_code == 404
    assert client.get(f"/support/students/{student.sevis_id}/documents/999999").status_code == 404


def test_a_deleted_upload_or_a_missing_file_is_a_404(client, factory, sign_in, db_session, app, school, student):
    deleted = _upload(factory, db_session, app, student, "i983")
    deleted.deleted_at = utcnow()
    missing = _upload(factory, db_session, app, student, "i983")
    missing.stored_name = "0" * 48
    db_session.flush()
    sign_in(factory.user(role=Role.DSO, school=school))
    for document in (deleted, missing):
        assert client.get(f"/admin/students/{student.sevis_id}/documents/{document.id}").status_code == 404


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.SUPPORT, "/admin/students/{sevis_id}/documents/{id}"),
        (Role.STUDENT, "/admin/students/{sevis_id}/documents/{id}"),
        (Role.DSO, "/support/students/{sevis_id}/documents/{id}"),
        (Role.STUDENT, "/support/students/{sevis_id}/documents/{id}"),
        (Role.OPERATOR, "/support/students/{sevis_id}/documents/{id}"),
    ],
)
def test_each_viewer_kind_has_its_own_route(client, factory, sign_in, db_session, app, school, student, role, url):
    document = _upload(factory, db_session, app, student, "i983")
    sign_in(
        factory.user(role=role, student=student)
        if role is Role.STUDENT
        else factory.user(role=role, school=school if role is Role.DSO else None)
    )
    assert client.get(url.format(sevis_id=student.sevis_id, id=document.id)).status_code == 403


def test_the_student_downloads_their_own_with_the_same_headers(client, factory, sign_in, db_session, app, student):
    document = _upload(factory, db_session, app, student, "i983")
    sign_in(factory.user(role=Role.STUDENT, student=student))
    _check_served(client.get(f"/documents/{document.id}/download"), KINDS["i983"])
