"""Record actions on a student's record from the Student Information page: enter or edit an employer
(late reports), review a STEM employer, correct an OPT, complete early, transfer or change level."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, request, url_for
from sqlalchemy import select

from dso_admin.blueprints import admin
from dso_admin.helpers import own_student_or_404
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.forms.employers import EmployerForm
from portal.models import Employer, OptAuthorization, ProgramRecord, School
from portal.models.enums import EducationLevel, OptStatus
from portal.services import employers as employer_service
from portal.services import opt_decisions
from portal.services.errors import DomainError, InvalidValue, StaleEdit
from portal.web import redirect_or_swap, render_page_or_partial


def _back(student):
    return url_for("admin.student_info", sevis_id=student.sevis_id)


def _done(student, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect_or_swap(_back(student))


def _refused(student, error: DomainError):
    flash(error.message, "error")
    return redirect_or_swap(_back(student))


def _own_employer(student, employer_id: int) -> Employer:
    employer = db.session.get(Employer, employer_id)
    if employer is None or employer.student_id != student.id:
        abort(404)
    return employer


# --- Employers entered by the school (late reports) ----------------------------------------------


def _employer_page(student, form, employer=None, *, status=200, error=None):
    return render_page_or_partial("admin/student/employer.html", "admin/student/_employer_form.html", status=status,
                                  student=student, form=form, employer=employer, error=error)  # fmt: skip


@admin.route("/students/<sevis_id>/employers/new", methods=["GET", "POST"])
@official_required
def add_employer(sevis_id: str):
    """Enter an employer the student reported late or by other means; the service's rules apply."""
    student = own_student_or_404(sevis_id)
    form = EmployerForm()
    if request.method == "GET":
        return _employer_page(student, form)
    if not form.validate_on_submit():
        return _employer_page(student, form, status=422)
    try:
        employer = employer_service.add_employer(db.session, student, form.service_data(), actor=current_actor())
    except DomainError as error:
        _attach(form, error)
        return _employer_page(student, form, status=error.status_code, error=error.message)
    return _done(student, f"{employer.name} added to the student's record.")


@admin.route("/students/<sevis_id>/employers/<int:employer_id>/edit", methods=["GET", "POST"])
@official_required
def edit_employer(sevis_id: str, employer_id: int):
    """Correct an employer on the student's record; a stale form gets the current values."""
    student = own_student_or_404(sevis_id)
    employer = _own_employer(student, employer_id)
    form = EmployerForm(obj=employer) if request.method == "GET" else EmployerForm()
    if request.method == "GET":
        form.version.data = employer.version
        return _employer_page(student, form, employer)
    if not form.validate_on_submit():
        return _employer_page(student, form, employer, status=422)
    try:
        employer_service.update_employer(db.session, employer, form.service_data(), actor=current_actor(),
                                         expected_version=int(form.version.data or 0))  # fmt: skip
    except (ValueError, TypeError):
        return _employer_page(student, form, employer, status=409, error="Reload the page and try again.")
    except StaleEdit as error:
        return _employer_page(student, form, employer, status=409, error=error.message)
    except DomainError as error:
        _attach(form, error)
        return _employer_page(student, form, employer, status=error.status_code, error=error.message)
    return _done(student, f"{employer.name} updated.")


def _attach(form, error: DomainError) -> None:
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]


@admin.post("/students/<sevis_id>/employers/<int:employer_id>/review")
@official_required
def review_employer(sevis_id: str, employer_id: int):
    """Accept or return a STEM employer the student submitted (a return needs a note for the student)."""
    student = own_student_or_404(sevis_id)
    employer = _own_employer(student, employer_id)
    decision = request.form.get("decision")
    if decision not in ("accept", "return"):
        return _refused(student, InvalidValue("Choose Accept or Return."))
    try:
        employer_service.review_stem_employer(db.session, employer, actor=current_actor(), accept=decision == "accept",
                                              note=request.form.get("note", ""))  # fmt: skip
    except DomainError as error:
        return _refused(student, error)
    return _done(student, f"{employer.name} {'accepted' if decision == 'accept' else 'returned to the student'}.")


# --- OPT and program records ---------------------------------------------------------------------


def _form_date(name: str, *, required: bool = True) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            raise InvalidValue("Enter a date like 2026-03-31.", field=name)
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidValue("Enter a date like 2026-03-31.", field=name) from None


@admin.post("/students/<sevis_id>/opts/<int:opt_id>/correct")
@official_required
def correct_opt(sevis_id: str, opt_id: int):
    """Correct an OPT's status or dates; a correction to Approved creates the portal account (rule 1)."""
    student = own_student_or_404(sevis_id)
    opt = db.session.get(OptAuthorization, opt_id)
    if opt is None or opt.program_record.student_id != student.id:
        abort(404)
    try:
        raw_status = request.form.get("status") or ""
        status = OptStatus(raw_status) if raw_status else None
        opt_decisions.correct_opt(db.session, opt, actor=current_actor(), status=status,
                                  start_date=_form_date("start_date", required=False),
                                  end_date=_form_date("end_date", required=False))  # fmt: skip
    except ValueError:
        return _refused(student, InvalidValue("Choose a status from the list."))
    except DomainError as error:
        return _refused(student, error)
    return _done(student, "OPT corrected.")


@admin.post("/students/<sevis_id>/programs/<int:program_id>/complete")
@official_required
def complete_early(sevis_id: str, program_id: int):
    """Complete the program record early; the student keeps read-only access for six months after the OPT end."""
    student = own_student_or_404(sevis_id)
    program = db.session.get(ProgramRecord, program_id)
    if program is None or program.student_id != student.id:
        abort(404)
    try:
        opt_decisions.complete_record_early(db.session, program, actor=current_actor(),
                                            completed_on=_form_date("completed_on", required=False))  # fmt: skip
    except DomainError as error:
        return _refused(student, error)
    return _done(student, "Program record completed. The student keeps read-only access.")


@admin.post("/students/<sevis_id>/transfer")
@official_required
def transfer(sevis_id: str):
    """Transfer out (to another school's code) or change the education level: a new program record (rule 4)."""
    student = own_student_or_404(sevis_id)
    try:
        level = EducationLevel(request.form.get("education_level") or "")
    except ValueError:
        return _refused(student, InvalidValue("Choose the new education level.", field="education_level"))
    code = (request.form.get("to_school") or "").strip().upper()
    to_school = None
    if code:
        to_school = db.session.scalar(select(School).where(School.code == code[:15]))
        if to_school is None:
            return _refused(student, InvalidValue(f"No school with code {code[:15]} uses the portal.", field="to_school"))
    try:
        opt_decisions.transfer_or_change_level(db.session, student, actor=current_actor(), education_level=level,
                                               start_date=_form_date("start_date"), end_date=_form_date("end_date"),
                                               major=request.form.get("major", ""), to_school=to_school)  # fmt: skip
    except DomainError as error:
        return _refused(student, error)
    if to_school is not None and to_school.id != current_actor().school_id:
        db.session.commit()
        flash(f"Transferred to {to_school.name}. The record is no longer at your school.", "success")
        return redirect_or_swap(url_for("admin.students"))
    return _done(student, "New program record opened; the old OPT has ended.")
