"""Student uploads: Form I-983 (DESIGN rule 13, PDF only) and the EAD card (PDF or a photo), checked from the
content and stored outside the web root."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Document, Student
from portal.models.enums import ChangeKind, DocumentKind
from portal.services.access import require_actor_may_change
from portal.services.actors import Actor
from portal.services.errors import InvalidValue
from portal.services.events import record_event
from portal.services.labels import document_label
from portal.services.uploads import (
    IMAGE_MAX_BYTES,
    JPEG_SIGNATURE,
    PDF_MAX_BYTES,
    PNG_SIGNATURE,
    UploadTooLarge,
    check_pdf,
    looks_like_pdf,
    read_limited,
    reencoded_image,
    safe_filename,
    store_bytes,
)

# The words a person reads for each kind of document (pages, history, DSO view).
STUDENT_UPLOAD_KINDS = (DocumentKind.I983, DocumentKind.EAD_CARD, DocumentKind.I983_EVALUATION)


def upload_i983(
    session: Session,
    student: Student,
    stream,
    filename: str | None,
    *,
    actor: Actor,
    upload_dir: str,
    today: date | None = None,
) -> Document:
    """Store a Form I-983 PDF for the student; refuses a non-PDF, a PDF with active content, over 10 MB (413), read-only access."""
    require_actor_may_change(session, student, actor, what="documents", today=today)
    data = read_limited(stream, PDF_MAX_BYTES, label="Form I-983 file", field="file")
    check_pdf(data, field="file", label="Form I-983")
    stored_name, digest = store_bytes(upload_dir, data)
    document = Document(
        student_id=student.id,
        kind=DocumentKind.I983,
        original_filename=safe_filename(filename, "form-i983.pdf"),
        stored_name=stored_name,
        content_type="application/pdf",
        size_bytes=len(data),
        sha256=digest,
        uploaded_by_user_id=actor.user_id,
    )
    session.add(document)
    session.flush()
    record_event(
        session,
        actor,
        "document.uploaded",
        student=student,
        change_kind=ChangeKind.DOCUMENT,
        subject=f"document:{document.id}",
        after={"kind": "Form I-983", "filename": document.original_filename, "size_bytes": len(data), "sha256": digest},
    )
    return document


EAD_PDF_OR_IMAGE = "The EAD card must be a PDF or a photo (PNG or JPEG). Scan or photograph both sides and upload that."


def upload_ead_card(
    session: Session,
    student: Student,
    stream,
    filename: str | None,
    *,
    actor: Actor,
    upload_dir: str,
    today: date | None = None,
) -> Document:
    """Store the student's EAD card, a PDF (10 MB) or a PNG/JPEG photo (5 MB, stored re-encoded), judged by content;
    refuses anything else, a PDF with active content, a damaged file, an oversized one (413) and read-only access."""
    require_actor_may_change(session, student, actor, what="documents", today=today)
    data = read_limited(stream, PDF_MAX_BYTES, label="EAD card file", field="ead_file")
    if looks_like_pdf(data):
        check_pdf(data, field="ead_file", label="EAD card")
        content_type, default_name = "application/pdf", "ead-card.pdf"
    elif data.startswith(PNG_SIGNATURE) or data.startswith(JPEG_SIGNATURE):
        if len(data) > IMAGE_MAX_BYTES:  # a photo has the smaller image limit (read_limited stopped at the PDF one)
            raise UploadTooLarge(
                f"The EAD card photo is larger than {IMAGE_MAX_BYTES // (1024 * 1024)} MB. "
                "Upload a smaller photo or a PDF.",
                field="ead_file",
            )
        data, content_type = reencoded_image(data, field="ead_file", not_an_image=EAD_PDF_OR_IMAGE)
        default_name = "ead-card.png" if content_type == "image/png" else "ead-card.jpg"
    else:
        raise InvalidValue(EAD_PDF_OR_IMAGE, field="ead_file")
    stored_name, digest = store_bytes(upload_dir, data)
    document = Document(
        student_id=student.id,
        kind=DocumentKind.EAD_CARD,
        original_filename=safe_filename(filename, default_name),
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        uploaded_by_user_id=actor.user_id,
    )
    session.add(document)
    session.flush()
    record_event(
        session,
        actor,
        "document.ead_card_uploaded",
        student=student,
        change_kind=ChangeKind.DOCUMENT,
        subject=f"document:{document.id}",
        after={
            "kind": document_label(DocumentKind.EAD_CARD),
            "filename": document.original_filename,
            "size_bytes": len(data),
            "sha256": digest,
        },
    )
    return document


def student_documents(session: Session, student: Student) -> list[Document]:
    """The student's own uploads (Form I-983 and EAD card), newest first (one statement)."""
    return list(
        session.scalars(
            select(Document)
            .where(
                Document.student_id == student.id,
                Document.kind.in_(STUDENT_UPLOAD_KINDS),
                Document.deleted_at.is_(None),
            )
            .order_by(Document.uploaded_at.desc(), Document.id.desc())
        )
    )


def own_document(session: Session, student: Student, document_id: int) -> Document | None:
    """One of the student's documents (I-983 or screenshot) by id, or None."""
    return session.scalar(
        select(Document).where(
            Document.id == document_id, Document.student_id == student.id, Document.deleted_at.is_(None)
        )
    )
