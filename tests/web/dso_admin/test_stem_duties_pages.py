"""STEM duties on the officials' pages: the submission on the obligation, closed duties off the open list, evaluations
opened, downloaded and marked reviewed."""

import io
from datetime import timedelta

from sqlalchemy import select

from portal.models import Document
from portal.models.enums import ObligationKind, Role
from portal.services.actors import Actor
from portal.services.clock import add_months, today_eastern
from portal.services.obligations import stem_obligations, sync_stem_obligations
from portal.services.stem_duties import confirm_stem_details, upload_i983_evaluation
from portal.services.timeline import DutyKind
from tests.support.files import pdf


def _stem_student(factory, school, *, months_in):
    stem_start = add_months(today_eastern(), -months_in)
    student = factory.student(
        school=school, opt_start=stem_start - timedelta(days=365), opt_end=stem_start - timedelta(days=1)
    )
    factory.stem_opt(student, start=stem_start)
    factory.address(student, line1="12 Main Street", city="Boston")
    return student


def _student_actor(factory, student):
    return Actor.for_user(factory.user(role=Role.STUDENT, student=student))


def test_the_confirmation_shows_on_the_obligation_in_the_list_and_on_student_information(
    client, factory, school, dso, db_session
):
    student = _stem_student(factory, school, months_in=6)
    confirm_stem_details(
        db_session,
        student,
        actor=_student_actor(factory, student),
        details_correct=False,
        changes="Moved to 5 Elm Street, Cambridge.",
    )
    listing = client.get("/admin/obligations").get_data(as_text=True)
    assert "Moved to 5 Elm Street, Cambridge." in listing and "something changed" in listing
    info = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert 'id="stem-duties"' in info and "Moved to 5 Elm Street, Cambridge." in info
    assert "12 Main Street, Boston, MA 02110" in info


def test_closed_stem_obligations_leave_the_open_list_and_show_their_reason(client, factory, school, dso, db_session):
    student = _stem_student(factory, school, months_in=6)
    sync_stem_obligations(db_session, student, actor=Actor.system())
    assert student.full_name in client.get("/admin/obligations").get_data(as_text=True)
    program = student.program_records[-1]
    response = client.post(
        f"/admin/students/{student.sevis_id}/programs/{program.id}/complete",
        data={"completed_on": today_eastern().isoformat()},
    )
    assert response.status_code == 303
    assert student.full_name not in client.get("/admin/obligations").get_data(as_text=True)
    info = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert "The STEM OPT ended early" in info


def test_the_dso_downloads_an_evaluation_and_marks_it_reviewed(client, factory, school, dso, db_session, app):
    student = _stem_student(factory, school, months_in=12)
    opt = student.program_records[-1].opt_authorizations[-1]
    document = upload_i983_evaluation(
        db_session,
        student,
        opt,
        DutyKind.I983_EVALUATION,
        io.BytesIO(pdf()),
        "evaluation.pdf",
        actor=_student_actor(factory, student),
        upload_dir=app.config["UPLOAD_DIR"],
    )
    url = f"/admin/students/{student.sevis_id}/documents/{document.id}"
    info = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert url in info and "Mark reviewed" in info
    assert url in client.get("/admin/obligations").get_data(as_text=True)
    download = client.get(url)
    assert download.status_code == 200 and download.data == pdf()
    assert download.headers["Content-Disposition"].startswith("attachment;")
    obligation = next(o for o in stem_obligations(db_session, student) if o.kind is ObligationKind.I983_EVALUATION)
    response = client.post(f"/admin/students/{student.sevis_id}/obligations/{obligation.id}/review")
    assert response.status_code == 303
    db_session.refresh(obligation)
    assert obligation.completed_at is not None


def test_another_schools_documents_and_obligations_are_404(client, factory, school, dso, db_session):
    other = _stem_student(factory, factory.school(), months_in=12)
    sync_stem_obligations(db_session, other, actor=Actor.system())
    document = Document(
        student_id=other.id,
        kind="i983",
        original_filename="x.pdf",
        stored_name="a" * 48,
        content_type="application/pdf",
        size_bytes=3,
        sha256="0" * 64,
    )
    db_session.add(document)
    db_session.flush()
    assert client.get(f"/admin/students/{other.sevis_id}/documents/{document.id}").status_code == 404
    obligation = stem_obligations(db_session, other)[0]
    assert client.post(f"/admin/students/{other.sevis_id}/obligations/{obligation.id}/review").status_code == 404
    assert db_session.scalar(select(Document).where(Document.id == document.id)) is not None
