"""A student on STEM OPT and the Form I-983 they send with a STEM employer, for the employer tests."""

from datetime import date

from portal.models import Document
from portal.models.enums import DocumentKind


def stem_student(factory, *, opt_year: int = 2025):
    """A student whose post-completion OPT ran through ``opt_year`` (2025 unless told), with an approved STEM OPT after it."""
    student = factory.student(opt_start=date(opt_year, 1, 1), opt_end=date(opt_year, 12, 31), today=date(2026, 3, 1))
    factory.stem_opt(student, status="approved")
    return student


def i983_document(session, student, *, filename: str = "i983.pdf", letter: str = "f", digit: str = "0") -> Document:
    """A Form I-983 upload of the student's (``letter`` and ``digit`` keep stored names and digests apart)."""
    document = Document(
        student_id=student.id,
        kind=DocumentKind.I983,
        original_filename=filename,
        stored_name=letter * 48,
        content_type="application/pdf",
        size_bytes=10,
        sha256=digit * 64,
    )
    session.add(document)
    session.flush()
    return document
