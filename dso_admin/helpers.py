"""Small helpers the workspace routes share: the official's school, own-school look-ups, download responses."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, abort, flash, stream_with_context, url_for
from flask_login import current_user

from portal.auth import current_actor
from portal.extensions import db
from portal.models import Employer, OptAuthorization, ProgramRecord, Student
from portal.services.errors import DomainError, NotFound
from portal.services.visibility import visible_student
from portal.web import redirect_or_swap, render_page_or_partial


def own_school_id() -> int:
    """The signed-in official's school (support has none: they read every school)."""
    return current_user.school_id


def student_or_404(sevis_id: str, *options) -> Student:
    """The student with this SEVIS ID whom the signed-in official or support may see (loaded with ``options``);
    another school's is a 404 (support sees every school)."""
    try:
        return visible_student(db.session, current_actor(), sevis_id, *options)
    except NotFound:
        abort(404)


def own_employer_or_404(student: Student, employer_id: int) -> Employer:
    """One of ``student``'s employers (deleted ones too); anyone else's is a 404."""
    employer = db.session.get(Employer, employer_id)
    if employer is None or employer.student_id != student.id:
        abort(404)
    return employer


def own_program_or_404(student: Student, program_id: int) -> ProgramRecord:
    """One of ``student``'s program records; anyone else's is a 404."""
    program = db.session.get(ProgramRecord, program_id)
    if program is None or program.student_id != student.id:
        abort(404)
    return program


def own_opt_or_404(student: Student, opt_id: int) -> OptAuthorization:
    """One of ``student``'s OPT authorizations; anyone else's is a 404."""
    opt = db.session.get(OptAuthorization, opt_id)
    if opt is None or opt.program_record.student_id != student.id:
        abort(404)
    return opt


def render_dialog(partial: str, title: str, *, status: int = 200, **context) -> Response:
    """A confirmation: ``partial`` alone for htmx (swapped into #modal-root), inside a page without JavaScript."""
    return render_page_or_partial(
        "admin/student/dialog.html", partial, status=status, dialog=partial, title=title, **context
    )


def commit_and_back(student: Student, message: str) -> Response:
    """After a record action: commit, say what was done, back to the Student Information page."""
    db.session.commit()
    flash(message, "success")
    return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))


def refused_and_back(student: Student, error: DomainError) -> Response:
    """A record action the service refused: its message on the Student Information page, nothing written."""
    flash(error.message, "error")
    return redirect_or_swap(url_for("admin.student_info", sevis_id=student.sevis_id))


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xml": "application/xml",
    "zip": "application/zip",
}


def download(chunks: Iterable, *, filename: str, kind: str) -> Response:
    """A streamed attachment: the generator runs while the response is sent, so memory stays flat."""
    response = Response(stream_with_context(chunks), mimetype=MIMETYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
