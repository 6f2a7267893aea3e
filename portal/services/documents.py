"""Form I-983 uploads (DESIGN rule 13): PDF only, checked from the content, stored outside the web root."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Document, Student
from portal.models.enums import ChangeKind, DocumentKind
from portal.services.access import require_actor_may_change
from portal.services.actors import Actor
from portal.services.events import record_event
from portal.services.uploads import PDF_MAX_BYTES, check_pdf, read_limited, safe_filename, store_bytes

# The words a person reads for each kind of document.
DOCUMENT_LABELS = {DocumentKind.I983: "Form I-983", DocumentKind.I983_EVALUATION: "Form I-983 evaluation",
                   DocumentKind.SCREENSHOT: "Screenshot"}  # fmt: skip


def upload_i983(session: Session, student: Student, stream, filename: str | None, *, actor: Actor, upload_dir: str,
                today: date | None = None) -> Document:  # fmt: skip
    """Store a Form I-983 PDF for the student; refuses a non-PDF, a PDF with JavaScript, over 10 MB (413), read-only access."""
    require_actor_may_change(session, student, actor, what="documents", today=today)
    data = read_limited(stream, PDF_MAX_BYTES, label="Form I-983 file", field="file")
    check_pdf(data, field="file")
    stored_name, digest = store_bytes(upload_dir, data)
    document = Document(
        student_id=student.id, kind=DocumentKind.I983, original_filename=safe_filename(filename, "form-i983.pdf"),
        stored_name=stored_name, content_type="application/pdf", size_bytes=len(data), sha256=digest,
        uploaded_by_user_id=actor.user_id,
    )  # fmt: skip
    session.add(document)
    session.flush()
    record_event(session, actor, "document.uploaded", student=student, change_kind=ChangeKind.DOCUMENT,
                 subject=f"document:{document.id}",
                 after={"kind": "Form I-983", "filename": document.original_filename, "size_bytes": len(data), "sha256": digest})  # fmt: skip
    return document


def student_documents(session: Session, student: Student) -> list[Document]:
    """The student's Form I-983 uploads, newest first (one statement)."""
    return list(
        session.scalars(
            select(Document)
            .where(Document.student_id == student.id, Document.kind.in_((DocumentKind.I983, DocumentKind.I983_EVALUATION)),
                   Document.deleted_at.is_(None))
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
