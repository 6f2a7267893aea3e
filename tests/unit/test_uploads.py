"""Uploads: Form I-983 PDFs and problem screenshots are checked from their content, not their names."""

import io
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.models import Document, Event, ProblemReport
from portal.models.enums import ChangeKind, ProblemStatus, Role
from portal.services.actors import Actor
from portal.services.documents import student_documents, upload_ead_card, upload_i983
from portal.services.errors import InvalidValue, NotAllowed
from portal.services.problems import create_problem_report, update_problem_report
from portal.services.uploads import UploadTooLarge, check_pdf, image_type
from tests.support.files import JPEG, PNG, pdf

TODAY = date(2026, 3, 1)


@pytest.fixture
def student(factory):
    return factory.student(opt_start=date(2026, 1, 1), opt_end=date(2026, 12, 31), today=TODAY)


@pytest.fixture
def actor(factory, student):
    return Actor.for_user(factory.user(role=Role.STUDENT, student=student))


def test_plain_pdf_passes():
    check_pdf(pdf())


@pytest.mark.parametrize(
    "data",
    [pdf(javascript="app.alert(1)"), pdf(javascript="app.alert(1)", compressed_js=True),
     pdf().replace(b"/Type /Catalog", b"/Type /Catalog /J#61vaScript 1 0 R")],
    ids=["plain", "in-a-compressed-stream", "hex-escaped-name"],
)  # fmt: skip
def test_pdf_with_javascript_is_refused(data):
    with pytest.raises(InvalidValue, match="JavaScript"):
        check_pdf(data)


@pytest.mark.parametrize("data", [PNG, b"<html><script>x</script></html>", b"MZ\x90\x00", b"%PDF-1.7 but truncated"])
def test_non_pdf_renamed_pdf_is_refused(data):
    with pytest.raises(InvalidValue, match="not a PDF"):
        check_pdf(data)


def test_image_type_comes_from_content():
    assert image_type(PNG) == "image/png" and image_type(JPEG) == "image/jpeg"
    with pytest.raises(InvalidValue, match="PNG or JPEG"):
        image_type(b"GIF89a")


def test_i983_is_stored_under_a_random_name_with_an_event(db_session, student, actor, tmp_path):
    document = upload_i983(db_session, student, io.BytesIO(pdf()), "../../etc/My I-983.pdf", actor=actor,
                           upload_dir=str(tmp_path), today=TODAY)  # fmt: skip
    stored = tmp_path / document.stored_name
    assert stored.read_bytes() == pdf() and "I-983" not in document.stored_name
    assert document.original_filename == "My_I-983.pdf"
    event = db_session.scalar(select(Event).where(Event.event_type == "document.uploaded"))
    assert event.change_kind is ChangeKind.DOCUMENT and event.after["filename"] == "My_I-983.pdf"


def test_i983_over_ten_megabytes_is_413(db_session, student, actor, tmp_path):
    with pytest.raises(UploadTooLarge) as error:
        upload_i983(db_session, student, io.BytesIO(pdf(padding=10 * 1024 * 1024)), "big.pdf", actor=actor,
                    upload_dir=str(tmp_path), today=TODAY)  # fmt: skip
    assert error.value.status_code == 413 and "10 MB" in error.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("data", "name", "content_type"), [
    (pdf(), "ead.pdf", "application/pdf"), (PNG, "ead front.png", "image/png"), (JPEG, "EAD.jpeg", "image/jpeg"),
])  # fmt: skip
def test_an_ead_card_is_accepted_as_pdf_or_photo_by_content_with_an_event(db_session, student, actor, tmp_path, data,
                                                                          name, content_type):  # fmt: skip
    document = upload_ead_card(db_session, student, io.BytesIO(data), name, actor=actor, upload_dir=str(tmp_path),
                               today=TODAY)  # fmt: skip
    assert (document.kind.value, document.content_type) == ("ead_card", content_type)
    assert (tmp_path / document.stored_name).read_bytes() == data
    event = db_session.scalar(select(Event).where(Event.event_type == "document.ead_card_uploaded"))
    assert event.change_kind is ChangeKind.DOCUMENT and event.after["kind"] == "EAD card"
    assert student_documents(db_session, student) == [document]


@pytest.mark.parametrize(("data", "message"), [
    (b"GIF89a" + b"\x00" * 40, "PDF or a photo"),
    (b"<html><script>x</script></html>", "PDF or a photo"),
    (pdf(javascript="app.alert(1)"), "JavaScript"),
    (b"", "empty"),
])  # fmt: skip
def test_an_ead_card_that_is_not_a_clean_pdf_or_photo_is_refused_on_its_field(db_session, student, actor, tmp_path,
                                                                              data, message):  # fmt: skip
    with pytest.raises(InvalidValue, match=message) as refused:
        upload_ead_card(db_session, student, io.BytesIO(data), "ead.pdf", actor=actor, upload_dir=str(tmp_path),
                        today=TODAY)  # fmt: skip
    assert refused.value.field == "ead_file" and list(tmp_path.iterdir()) == []


def test_an_ead_photo_over_five_megabytes_is_413(db_session, student, actor, tmp_path):
    with pytest.raises(UploadTooLarge, match="5 MB"):
        upload_ead_card(db_session, student, io.BytesIO(PNG + b"\x00" * (5 * 1024 * 1024)), "ead.png", actor=actor,
                        upload_dir=str(tmp_path), today=TODAY)  # fmt: skip


def _file(data, name):
    return SimpleNamespace(filename=name, stream=io.BytesIO(data))


def test_problem_report_carries_name_sevis_id_and_screenshots(db_session, student, actor, tmp_path):
    report = create_problem_report(db_session, student, actor=actor, description="The page froze.",
                                   screenshots=[_file(PNG, "a.png"), _file(JPEG, "b.jpg")], upload_dir=str(tmp_path))  # fmt: skip
    assert (report.reporter_name, report.sevis_id, report.status) == (
        student.full_name,
        student.sevis_id,
        ProblemStatus.NEW,
    )
    kinds = sorted(
        d.content_type for d in db_session.scalars(select(Document).where(Document.problem_report_id == report.id))
    )
    assert kinds == ["image/jpeg", "image/png"]


@pytest.mark.parametrize(
    ("files", "error", "message"),
    [([_file(PNG, f"{n}.png") for n in range(4)], InvalidValue, "at most 3"),
     ([_file(b"%PDF-1.4", "x.png")], InvalidValue, "PNG or JPEG"),
     ([_file(PNG + b"0" * (5 * 1024 * 1024), "big.png")], UploadTooLarge, "5 MB")],
)  # fmt: skip
def test_bad_screenshots_refuse_the_whole_report(db_session, student, actor, tmp_path, files, error, message):
    with pytest.raises(error, match=message):
        create_problem_report(
            db_session, student, actor=actor, description="Broken", screenshots=files, upload_dir=str(tmp_path)
        )
    assert db_session.scalar(select(ProblemReport).where(ProblemReport.student_id == student.id)) is None


def test_problem_report_needs_a_description(db_session, student, actor, tmp_path):
    with pytest.raises(InvalidValue, match="Enter the description"):
        create_problem_report(db_session, student, actor=actor, description="  ", upload_dir=str(tmp_path))


def test_only_support_updates_a_problem_report(db_session, factory, student, actor, tmp_path):
    report = create_problem_report(db_session, student, actor=actor, description="Help", upload_dir=str(tmp_path))
    support_user = factory.user(role=Role.SUPPORT)
    with pytest.raises(NotAllowed):
        update_problem_report(db_session, report, actor=actor, status="closed")
    update_problem_report(db_session, report, actor=Actor.for_user(support_user), status="answered",
                          assignee=support_user, note_to_student="Fixed on our side.")  # fmt: skip
    assert report.status is ProblemStatus.ANSWERED and report.assigned_to_user_id == support_user.id
    assert db_session.scalar(select(Event).where(Event.event_type == "problem.updated")).after["status"] == "answered"
    with pytest.raises(InvalidValue):
        update_problem_report(db_session, report, actor=Actor.for_user(support_user), status="bogus")
