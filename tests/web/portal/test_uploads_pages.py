"""Documents and problem reports: uploads checked from content, 413 over the limit, downloads as attachments."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from portal.models import Document, ProblemReport
from portal.models.enums import ProblemStatus
from tests.support.files import FOUR_BYPASSES, JPEG, PNG, POLYGLOT, pdf
from tests.web.conftest import HX


def _upload(client, data, name="i983.pdf", headers=None):
    return client.post(
        "/documents", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data", headers=headers or {}
    )


def test_i983_upload_and_download_as_attachment_with_nosniff(client, signed_in, student, db_session, app):
    assert _upload(client, pdf()).status_code == 303
    document = db_session.scalar(select(Document).where(Document.student_id == student.id))
    assert document.stored_name != "i983.pdf"
    assert not document.stored_name.endswith(".pdf")
    assert app.config["UPLOAD_DIR"] not in (app.static_folder or "")
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 200 and response.data == pdf()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "i983.pdf" in client.get("/documents").get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
@pytest.mark.parametrize(("data", "message"), [(PNG, "not a PDF"), (pdf(javascript="app.alert(1)"), "JavaScript")])
def test_non_pdf_or_pdf_with_javascript_is_422(client, signed_in, headers, data, message):
    response = _upload(client, data, headers=headers)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_javascript_hidden_behind_hex_encoding_is_422_on_the_field_and_nothing_is_stored(
    client, signed_in, student, db_session, headers
):
    response = _upload(client, FOUR_BYPASSES["ascii-hex"], headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="file-error"' in body and "JavaScript" in body
    assert db_session.scalar(select(Document).where(Document.student_id == student.id)) is None


def test_missing_file_is_422(client, signed_in):
    response = client.post("/documents", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose your Form I-983" in response.get_data(as_text=True)


def test_pdf_over_ten_megabytes_is_413_with_a_message(client, signed_in):
    response = _upload(client, pdf(padding=10 * 1024 * 1024 + 300 * 1024))
    assert response.status_code == 413 and "10 MB" in response.get_data(as_text=True)
    just_over = _upload(client, pdf(padding=10 * 1024 * 1024), headers=HX)
    assert just_over.status_code == 413 and "10 MB" in just_over.get_data(as_text=True)


def _upload_ead(client, data, name, headers=None):
    return client.post(
        "/documents/ead",
        data={"ead_file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers=headers or {},
    )


@pytest.mark.parametrize(("data", "name"), [(pdf(), "ead.pdf"), (JPEG, "ead.jpg")], ids=["pdf", "photo"])
def test_the_student_uploads_the_ead_card_and_sees_it_listed(client, signed_in, student, db_session, data, name):
    assert _upload_ead(client, data, name).status_code == 303
    document = db_session.scalar(select(Document).where(Document.student_id == student.id))
    assert document.kind.value == "ead_card"
    page = client.get("/documents").get_data(as_text=True)
    assert f'EAD card: <a class="usa-link" href="/documents/{document.id}/download">{name}</a>' in page
    downloaded = client.get(f"/documents/{document.id}/download").data
    if name.endswith(".pdf"):
        assert downloaded == data
    else:  # a photo is stored re-encoded: the same picture
        assert Image.open(io.BytesIO(downloaded)).size == Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_an_ead_card_that_is_not_a_pdf_or_photo_is_422_on_its_field(client, signed_in, student, db_session, headers):
    response = _upload_ead(client, b"GIF89a" + b"\x00" * 40, "ead.gif", headers=headers)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="ead_file-error"' in body and "PDF or a photo" in body
    assert 'id="file-error"' not in body  # the Form I-983 form is not blamed
    assert db_session.scalar(select(Document).where(Document.student_id == student.id)) is None


def test_an_ead_upload_without_a_file_is_422(client, signed_in):
    response = client.post("/documents/ead", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the PDF or photo of your EAD card" in response.get_data(as_text=True)


def test_another_students_document_is_404(client, signed_in, factory, db_session):
    other = factory.student()
    document = Document(
        student_id=other.id,
        kind="i983",
        original_filename="x.pdf",
        stored_name="a" * 48,
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
    )
    db_session.add(document)
    db_session.flush()
    assert client.get(f"/documents/{document.id}/download").status_code == 404


def test_problem_report_with_screenshots_and_status(client, signed_in, student, db_session):
    page = client.get("/problems").get_data(as_text=True)
    assert student.sevis_id in page and student.full_name in page
    response = client.post(
        "/problems",
        content_type="multipart/form-data",
        data={
            "description": "The save button did nothing.",
            "screenshots": [(io.BytesIO(PNG), "one.png"), (io.BytesIO(JPEG), "two.jpg")],
        },
    )
    assert response.status_code == 303
    report = db_session.scalar(select(ProblemReport).where(ProblemReport.student_id == student.id))
    assert report.sevis_id == student.sevis_id and report.status is ProblemStatus.NEW
    assert len(list(db_session.scalars(select(Document).where(Document.problem_report_id == report.id)))) == 2
    assert "New" in client.get("/problems").get_data(as_text=True)


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ([(io.BytesIO(PNG), f"{n}.png") for n in range(4)], 422, "at most 3"),
        ([(io.BytesIO(b"GIF89a..."), "x.png")], 422, "PNG or JPEG"),
        ([(io.BytesIO(POLYGLOT), "x.png")], 422, "damaged or incomplete"),
        ([(io.BytesIO(JPEG[: len(JPEG) // 2]), "x.jpg")], 422, "damaged or incomplete"),
        ([(io.BytesIO(PNG + b"0" * (5 * 1024 * 1024)), "big.png")], 413, "5 MB"),
    ],
)
def test_bad_screenshots_are_refused(client, signed_in, files, status, message):
    response = client.post(
        "/problems", content_type="multipart/form-data", data={"description": "x", "screenshots": files}
    )
    assert response.status_code == status and message in response.get_data(as_text=True)


def test_problem_report_needs_a_description(client, signed_in):
    response = client.post("/problems", data={"description": ""}, headers=HX)
    assert response.status_code == 422 and "Describe the problem." in response.get_data(as_text=True)


def test_a_small_document_shows_its_size_in_bytes_not_zero_kb(client, signed_in, student, db_session):
    db_session.add(
        Document(
            student_id=student.id,
            kind="i983",
            original_filename="tiny.pdf",
            stored_name="b" * 48,
            content_type="application/pdf",
            size_bytes=300,
            sha256="0" * 64,
        )
    )
    db_session.flush()
    page = client.get("/documents").get_data(as_text=True)
    assert "300 bytes" in page and "0 KB" not in page


def test_the_i983_upload_is_offered_only_to_a_student_with_a_stem_opt(client, signed_in, student, factory):
    page = client.get("/documents").get_data(as_text=True)
    assert "Form I-983" not in page and "EAD card" in page
    factory.stem_opt(student, status="pending")
    page = client.get("/documents").get_data(as_text=True)
    assert "<h2>Form I-983</h2>" in page


@pytest.mark.parametrize(
    ("post", "field"),
    [
        (lambda client: _upload_ead(client, b"GIF89a" + b"\x00" * 40, "ead.gif", headers=HX), "ead_file"),
        (
            lambda client: client.post(
                "/problems",
                content_type="multipart/form-data",
                headers=HX,
                data={"description": "x", "screenshots": [(io.BytesIO(b"GIF89a..."), "x.png")]},
            ),
            "screenshots",
        ),
    ],
    ids=["ead", "screenshots"],
)
def test_a_form_swapped_back_with_a_file_error_keeps_its_drop_zone(client, signed_in, post, field):
    """The drop zone is written by the server (USWDS builds its own only at page load): the 422 fragment htmx swaps
    in has it, marked as built so USWDS leaves it alone, with the input inside and its error named."""
    response = post(client)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{field}-error"' in body
    zone = re.search(r'<div class="usa-file-input" data-enhanced="true" data-file-input>(.*?)\n    </div>', body, re.S)
    assert zone and "usa-file-input__target" in zone.group(1) and "choose from folder" in zone.group(1)
    field_input = re.search(rf'<input [^>]*id="{field}"[^>]*>', zone.group(1)).group(0)
    assert 'class="usa-file-input__input"' in field_input and 'type="file"' in field_input
    assert f"{field}-error" in field_input  # aria-describedby
