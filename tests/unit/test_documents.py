"""Student uploads (DESIGN rule 13): the I-983 and the EAD card, checked from their content, stored under random
names with an event; the student's list and one document of theirs."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from portal.models import Event, utcnow
from portal.models.enums import ChangeKind
from portal.services.documents import own_document, student_documents, upload_ead_card, upload_i983
from portal.services.errors import InvalidValue
from portal.services.uploads import UploadTooLarge
from tests.support.files import JPEG, PNG, pdf
from tests.support.stem import i983_document
from tests.unit.conftest import TODAY


def test_i983_is_stored_under_a_random_name_with_an_event(db_session, student, actor, tmp_path):
    document = upload_i983(
        db_session,
        student,
        io.BytesIO(pdf()),
        "../../etc/My I-983.pdf",
        actor=actor,
        upload_dir=str(tmp_path),
        today=TODAY,
    )
    stored = tmp_path / document.stored_name
    assert stored.read_bytes() == pdf() and "I-983" not in document.stored_name
    assert document.original_filename == "My_I-983.pdf"
    event = db_session.scalar(select(Event).where(Event.event_type == "document.uploaded"))
    assert event.change_kind is ChangeKind.DOCUMENT and event.after["filename"] == "My_I-983.pdf"


def test_i983_over_ten_megabytes_is_413(db_session, student, actor, tmp_path):
    with pytest.raises(UploadTooLarge) as error:
        upload_i983(
            db_session,
            student,
            io.BytesIO(pdf(padding=10 * 1024 * 1024)),
            "big.pdf",
            actor=actor,
            upload_dir=str(tmp_path),
            today=TODAY,
        )
    assert error.value.status_code == 413 and "10 MB" in error.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (pdf(), "ead.pdf", "application/pdf"),
        (PNG, "ead front.png", "image/png"),
        (JPEG, "EAD.jpeg", "image/jpeg"),
    ],
)
def test_an_ead_card_is_accepted_as_pdf_or_photo_by_content_with_an_event(
    db_session, student, actor, tmp_path, data, name, content_type
):
    document = upload_ead_card(
        db_session, student, io.BytesIO(data), name, actor=actor, upload_dir=str(tmp_path), today=TODAY
    )
    assert (document.kind.value, document.content_type) == ("ead_card", content_type)
    stored = (tmp_path / document.stored_name).read_bytes()
    if content_type == "application/pdf":
        assert stored == data
    else:  # a photo is stored re-encoded: the same picture, not the same bytes
        assert Image.open(io.BytesIO(stored)).size == Image.open(io.BytesIO(data)).size
    assert document.size_bytes == len(stored)
    event = db_session.scalar(select(Event).where(Event.event_type == "document.ead_card_uploaded"))
    assert event.change_kind is ChangeKind.DOCUMENT and event.after["kind"] == "EAD card"
    assert student_documents(db_session, student) == [document]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a" + b"\x00" * 40, "PDF or a photo"),
        (b"<html><script>x</script></html>", "PDF or a photo"),
        (pdf(javascript="app.alert(1)"), "JavaScript"),
        (b"", "empty"),
    ],
)
def test_an_ead_card_that_is_not_a_clean_pdf_or_photo_is_refused_on_its_field(
    db_session, student, actor, tmp_path, data, message
):
    with pytest.raises(InvalidValue, match=message) as refused:
        upload_ead_card(
            db_session, student, io.BytesIO(data), "ead.pdf", actor=actor, upload_dir=str(tmp_path), today=TODAY
        )
    assert refused.value.field == "ead_file" and list(tmp_path.iterdir()) == []


def test_an_ead_photo_over_five_megabytes_is_413(db_session, student, actor, tmp_path):
    with pytest.raises(UploadTooLarge, match="5 MB"):
        upload_ead_card(
            db_session,
            student,
            io.BytesIO(PNG + b"\x00" * (5 * 1024 * 1024)),
            "ead.png",
            actor=actor,
            upload_dir=str(tmp_path),
            today=TODAY,
        )


def test_the_student_lists_only_their_own_live_uploads_newest_first(
    db_session, factory, school, student, actor, tmp_path
):
    first = upload_i983(
        db_session, student, io.BytesIO(pdf()), "a.pdf", actor=actor, upload_dir=str(tmp_path), today=TODAY
    )
    second = upload_ead_card(
        db_session, student, io.BytesIO(PNG), "b.png", actor=actor, upload_dir=str(tmp_path), today=TODAY
    )
    first.uploaded_at = second.uploaded_at  # the same instant: the later row first
    removed = i983_document(db_session, student, letter="r", digit="1")
    removed.deleted_at = utcnow()
    i983_document(db_session, factory.student(school=school), letter="o", digit="2")
    db_session.flush()
    assert [document.id for document in student_documents(db_session, student)] == [second.id, first.id]


def test_a_student_opens_only_a_live_document_of_their_own(db_session, factory, school, student):
    mine = i983_document(db_session, student)
    theirs = i983_document(db_session, factory.student(school=school), letter="o", digit="2")
    removed = i983_document(db_session, student, letter="r", digit="1")
    removed.deleted_at = utcnow()
    db_session.flush()
    assert own_document(db_session, student, mine.id) == mine
    assert own_document(db_session, student, theirs.id) is None
    assert own_document(db_session, student, removed.id) is None
