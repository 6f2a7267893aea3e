"""Small helpers the workspace routes share: the official's school, own-school look-ups, download responses."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, abort, stream_with_context
from flask_login import current_user

from portal.extensions import db
from portal.models import Student
from portal.services.errors import NotFound
from portal.services.student_search import check_school_student


def own_school_id() -> int:
    """The signed-in official's school (support has none: they read every school)."""
    return current_user.school_id


def own_student_or_404(sevis_id: str) -> Student:
    """The student with this SEVIS ID at the official's school; another school's (or none) is a 404."""
    try:
        return check_school_student(db.session, own_school_id(), sevis_id)
    except NotFound:
        abort(404)


def any_student_or_404(sevis_id: str) -> Student:
    """Support reads every school."""
    try:
        return check_school_student(db.session, None, sevis_id)
    except NotFound:
        abort(404)


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
