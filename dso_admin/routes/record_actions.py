"""Record actions on a student's record from the Student Information page: enter or edit an employer
(late reports), review a STEM employer, correct an OPT, complete early, transfer or change level."""

from __future__ import annotations

from datetime import date

from flask import flash, request, url_for

from dso_admin.blueprints import admin
from dso_admin.helpers import (
    commit_and_back,
    own_employer_or_404,
    own_opt_or_404,
    own_program_or_404,
    refused_and_back,
    render_dialog,
    student_or_404,
)
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.forms.employers import EMPLOYMENT_TYPE_HINTS, EditEmployerForm, EmployerForm
from portal.forms.opt_decisions import ApproveOptForm, CorrectOptForm
from portal.forms.stem import ReviewEmployerForm
from portal.models.enums import EducationLevel, OptStatus
from portal.services import employers as employer_service
from portal.services import opt_decisions, stem_employers
from portal.services.errors import DomainError, InvalidValue, StaleEdit
from portal.services.labels import read_only_access_until
from portal.services.schools import school_by_code
from portal.services.stem_review import stem_review
from portal.web import redirect_or_swap, render_page_or_partial

# --- Employers entered by the school (late reports) ----------------------------------------------


def _employer_page(student, form, employer=None, *, status=200, error=None):
    return render_page_or_partial(
        "admin/student/employer.html",
        "admin/student/_employer_form.html",
        status=status,
        student=student,
        form=form,
        employer=employer,
        error=error,
        employment_type_hints=EMPLOYMENT_TYPE_HINTS,
    )


@admin.route("/students/<sevis_id>/employers/new", methods=["GET", "POST"])
@official_required
def add_employer(sevis_id: str):
    """Enter an employer the student reported late or by other means; the service's rules apply."""
    student = student_or_404(sevis_id)
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
    return commit_and_back(student, f"{employer.name} added to the student's record.")


@admin.route("/students/<sevis_id>/employers/<int:employer_id>/edit", methods=["GET", "POST"])
@official_required
def edit_employer(sevis_id: str, employer_id: int):
    """Correct an employer on the student's record; a stale form gets the current values."""
    student = student_or_404(sevis_id)
    employer = own_employer_or_404(student, employer_id)
    form = EditEmployerForm(obj=employer) if request.method == "GET" else EditEmployerForm()
    if request.method == "GET":
        form.version.data = employer.version
        return _employer_page(student, form, employer)
    if not form.validate_on_submit():
        return _employer_page(student, form, employer, status=422)
    try:
        employer_service.update_employer(
            db.session,
            employer,
            form.service_data(),
            actor=current_actor(),
            expected_version=int(form.version.data or 0),
        )
    except (ValueError, TypeError):
        return _employer_page(student, form, employer, status=409, error="Reload the page and try again.")
    except StaleEdit as error:
        return _employer_page(student, form, employer, status=409, error=error.message)
    except DomainError as error:
        _attach(form, error)
        return _employer_page(student, form, employer, status=error.status_code, error=error.message)
    return commit_and_back(student, f"{employer.name} updated.")


def _attach(form, error: DomainError) -> None:
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]


def _review_page(student, employer, form, *, status=200, error=None):
    return render_page_or_partial(
        "admin/student/review_employer.html",
        "admin/student/_review_employer.html",
        status=status,
        student=student,
        review=stem_review(db.session, employer),
        form=form,
        error=error,
    )


@admin.route("/students/<sevis_id>/employers/<int:employer_id>/review", methods=["GET", "POST"])
@official_required
def review_employer(sevis_id: str, employer_id: int):
    """The STEM review: the employer's details beside its Form I-983, and Accept or Return with a note the student
    reads; a return without a note is a 422 with the message on the note, an employer not waiting a 409."""
    student = student_or_404(sevis_id)
    employer = own_employer_or_404(student, employer_id)
    form = ReviewEmployerForm() if request.method == "POST" else ReviewEmployerForm(formdata=None)
    if request.method == "GET":
        return _review_page(student, employer, form)
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("accept", "return"):
        return _review_page(
            student,
            employer,
            form,
            status=422,
            error=None if decision in ("accept", "return") else "Choose Accept or Return.",
        )
    try:
        stem_employers.review_stem_employer(
            db.session, employer, actor=current_actor(), accept=decision == "accept", note=form.note.data or ""
        )
    except DomainError as error:
        _attach(form, error)
        return _review_page(
            student, employer, form, status=error.status_code, error=None if error.field in form else error.message
        )
    return commit_and_back(
        student, f"{employer.name} {'accepted' if decision == 'accept' else 'returned to the student'}."
    )


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


def _query_date(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise InvalidValue("Enter a date like 2026-03-31.", field=name) from None


def _parse_dates(form, names) -> dict:
    """Each named text field as a date (None when empty); a value that is not a date gets a message on its field."""
    values = {}
    for name in names:
        raw = (form[name].data or "").strip()
        try:
            values[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            values[name] = None
            form[name].errors = [*form[name].errors, "Enter a real date, like 2026-03-31."]
    return values


def _opt_dialog(partial: str, title: str, student, opt, form, *, status: int = 200):
    return render_dialog(partial, title, status=status, student=student, opt=opt, form=form)


def _has_errors(form) -> bool:
    return any(field.errors for field in form)


@admin.route("/students/<sevis_id>/opts/<int:opt_id>/approve", methods=["GET", "POST"])
@official_required
def approve_opt(sevis_id: str, opt_id: int):
    """Approve a pending OPT with the EAD card's validity dates (the account is created, rule 1); bad dates are a
    422 with the message on the field."""
    student = student_or_404(sevis_id)
    opt = own_opt_or_404(student, opt_id)
    partial, title = "admin/student/_approve_opt.html", "Approve OPT"
    form = ApproveOptForm() if request.method == "POST" else ApproveOptForm(formdata=None)
    if request.method == "GET":
        return _opt_dialog(partial, title, student, opt, form)
    dates = _parse_dates(form, ("actual_start_date", "actual_end_date"))
    if _has_errors(form):
        return _opt_dialog(partial, title, student, opt, form, status=422)
    try:
        opt_decisions.approve_opt(db.session, opt, actor=current_actor(), **dates)
    except DomainError as error:
        if error.field in form:
            _attach(form, error)
            return _opt_dialog(partial, title, student, opt, form, status=422)
        return refused_and_back(student, error)
    return commit_and_back(student, "OPT approved.")


@admin.route("/students/<sevis_id>/opts/<int:opt_id>/correct", methods=["GET", "POST"])
@official_required
def correct_opt(sevis_id: str, opt_id: int):
    """Correct an OPT's status, requested dates or EAD dates; a correction to Approved creates the portal account
    (rule 1). Bad input is a 422 with the message on the field."""
    student = student_or_404(sevis_id)
    opt = own_opt_or_404(student, opt_id)
    partial, title = "admin/student/_correct_opt.html", "Correct OPT"
    if request.method == "GET":
        form = CorrectOptForm(
            formdata=None,
            data={
                "status": opt.status.value,
                "start_date": opt.start_date.isoformat(),
                "end_date": opt.end_date.isoformat(),
                "actual_start_date": opt.actual_start_date.isoformat() if opt.actual_start_date else "",
                "actual_end_date": opt.actual_end_date.isoformat() if opt.actual_end_date else "",
            },
        )
        return _opt_dialog(partial, title, student, opt, form)
    form = CorrectOptForm()
    status = None
    if form.status.data:
        try:
            status = OptStatus(form.status.data)
        except ValueError:
            form.status.errors = ["Choose a status from the list."]
    dates = _parse_dates(form, ("start_date", "end_date", "actual_start_date", "actual_end_date"))
    if _has_errors(form):
        return _opt_dialog(partial, title, student, opt, form, status=422)
    if (status or opt.status) is not OptStatus.APPROVED:
        # The form keeps the EAD fields filled in; only an approved OPT has EAD dates (the hint says so).
        dates["actual_start_date"] = dates["actual_end_date"] = None
    try:
        opt_decisions.correct_opt(db.session, opt, actor=current_actor(), status=status, **dates)
    except DomainError as error:
        if error.field in form:
            _attach(form, error)
        elif error.status_code == 422:  # a correction that changes nothing: said above the fields
            form.form_errors.append(error.message)
        else:
            return refused_and_back(student, error)
        return _opt_dialog(partial, title, student, opt, form, status=422)
    return commit_and_back(student, "OPT corrected.")


@admin.get("/students/<sevis_id>/programs/<int:program_id>/complete")
@official_required
def confirm_complete_early(sevis_id: str, program_id: int):
    """The confirmation for Complete early, with the completion date and the last day of read-only access it gives
    (a dialog for htmx, a page without JavaScript); ``?completed_on=`` asks for another date (422 for a bad one)."""
    student = student_or_404(sevis_id)
    program = own_program_or_404(student, program_id)
    completion = error = None
    try:
        completion = opt_decisions.early_completion(db.session, program, completed_on=_query_date("completed_on"))
    except DomainError as refused:
        error = refused
    return render_dialog(
        "admin/student/_confirm_complete.html",
        "Complete this program record early",
        status=422 if error is not None and error.field else 200,  # a record already completed is not bad input
        student=student,
        program=program,
        chosen=(request.args.get("completed_on") or "").strip()[:10],
        completion=completion,
        error=error,
    )


@admin.post("/students/<sevis_id>/programs/<int:program_id>/complete")
@official_required
def complete_early(sevis_id: str, program_id: int):
    """Complete the program record early; the message names the last day of read-only access the event records."""
    student = student_or_404(sevis_id)
    program = own_program_or_404(student, program_id)
    try:
        event = opt_decisions.complete_record_early(
            db.session, program, actor=current_actor(), completed_on=_form_date("completed_on", required=False)
        )
    except DomainError as error:
        return refused_and_back(student, error)
    read_only_until = opt_decisions.recorded_read_only_until(event)
    if read_only_until is None:
        return commit_and_back(student, "Program record completed.")
    return commit_and_back(student, f"Program record completed. {read_only_access_until(read_only_until)}.")


@admin.get("/students/<sevis_id>/transfer")
@official_required
def confirm_transfer(sevis_id: str):
    """The confirmation for Transfer out or change level, with the new record's fields (dialog or page)."""
    student = student_or_404(sevis_id)
    return render_dialog(
        "admin/student/_confirm_transfer.html", "Transfer out or change education level", student=student
    )


@admin.post("/students/<sevis_id>/transfer")
@official_required
def transfer(sevis_id: str):
    """Transfer out (to another school's code) or change the education level: a new program record (rule 4)."""
    student = student_or_404(sevis_id)
    try:
        level = EducationLevel(request.form.get("education_level") or "")
    except ValueError:
        return refused_and_back(student, InvalidValue("Choose the new education level.", field="education_level"))
    code = (request.form.get("to_school") or "").strip().upper()
    to_school = None
    if code:
        to_school = school_by_code(db.session, code[:15])
        if to_school is None:
            return refused_and_back(
                student, InvalidValue(f"No school with code {code[:15]} uses the portal.", field="to_school")
            )
    try:
        opt_decisions.transfer_or_change_level(
            db.session,
            student,
            actor=current_actor(),
            education_level=level,
            start_date=_form_date("start_date"),
            end_date=_form_date("end_date"),
            major=request.form.get("major", ""),
            to_school=to_school,
        )
    except DomainError as error:
        return refused_and_back(student, error)
    if to_school is not None and to_school.id != current_actor().school_id:
        db.session.commit()
        flash(f"Transferred to {to_school.name}. The record is no longer at your school.", "success")
        return redirect_or_swap(url_for("admin.students"))
    return commit_and_back(student, "New program record opened; the old OPT has ended.")
