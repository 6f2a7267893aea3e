"""The student's employers: list, add, edit (optimistic locking), delete with confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, render_template, url_for

from portal.auth import current_actor, student_required
from portal.extensions import db
from portal.forms.employers import EMPLOYMENT_TYPE_HINTS, DeleteEmployerForm, EditEmployerForm, EmployerForm
from portal.routes.student_common import attach_error, current_access, current_student, posted_version
from portal.services.documents import upload_i983
from portal.services.employer_fields import EDITABLE_FIELDS, STEM_STUDENT_EDITABLE
from portal.services.employers import (
    add_employer,
    delete_employer,
    own_employer,
    update_employer,
    visible_employers,
)
from portal.services.errors import Conflict, NotAllowed, RuleBroken, StaleEdit
from portal.services.stem_employers import resubmit_stem_employer
from portal.services.stem_review import return_reasons
from portal.services.uploads import UploadTooLarge
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("employers", __name__)

# The refusals a form shows on its fields; any other goes to the error page.
_SHOWN_ON_FORM = (RuleBroken, Conflict, NotAllowed, UploadTooLarge)


def _own_visible_employer_or_404(employer_id: int, access):
    """One of the signed-in student's visible employers; anything else (another student's, hidden) is a 404."""
    employer = own_employer(db.session, current_student(), employer_id)
    if employer is None or employer.opt_authorization_id not in access.opt_ids:
        abort(404)
    return employer


def _form_page(form, access, *, employer=None, status=200, errors=None, stale=None, resubmit=False):
    return render_page_or_partial(
        "employers/form.html",
        "employers/_form.html",
        status=status,
        form=form,
        access=access,
        employer=employer,
        errors=errors,
        stale=stale,
        stem_locked=frozenset() if resubmit else _stem_locked(employer, access),
        field_labels={name: form[name].label.text for name in EDITABLE_FIELDS},
        resubmit=resubmit,
        employment_type_hints=EMPLOYMENT_TYPE_HINTS,
    )


def _with_i983(form, data: dict) -> dict:
    """The service's data, with the attached Form I-983 uploaded first (a STEM employer is sent with one)."""
    upload = form.i983.data
    if upload and getattr(upload, "filename", ""):
        data["i983_document"] = upload_i983(
            db.session,
            current_student(),
            upload.stream,
            upload.filename,
            actor=current_actor(),
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    return data


def _save(form, access, save, *, done, employer=None, resubmit=False, shown=_SHOWN_ON_FORM, as_422=()):
    """Validate the posted form, call ``save(data)`` with its data, and commit; then the list with ``done(employer)``
    flashed. Otherwise the form again: 422 when invalid, 409 with the current values beside the student's for a
    stale edit, and each refusal in ``shown`` on its field with its own status (422 for those in ``as_422``)."""
    if not form.validate_on_submit():
        return _form_page(form, access, employer=employer, status=422, resubmit=resubmit)
    try:
        saved = save(form.service_data())
    except StaleEdit as error:
        form.version.data = employer.version  # the next save, after comparing, applies to the current row
        return _form_page(
            form, access, employer=employer, status=409, errors=error.message, stale=error.current, resubmit=resubmit
        )
    except shown as error:
        status = 422 if isinstance(error, as_422) else error.status_code
        return _form_page(
            form, access, employer=employer, status=status, errors=attach_error(form, error), resubmit=resubmit
        )
    db.session.commit()
    flash(done(saved), "success")
    return redirect_or_swap(url_for(".index"))


def _stem_locked(employer, access) -> frozenset:
    """Fields a STEM student may not change on this employer (shown read-only)."""
    if employer is None or employer.opt_authorization is None or employer.opt_authorization.kind.value != "stem":
        return frozenset()
    return frozenset(EDITABLE_FIELDS) - STEM_STUDENT_EDITABLE


@bp.get("/employers")
@student_required
def index():
    """List the student's employers under the OPTs they can see, each current, past or upcoming by the timeline, and
    why the school returned any it returned."""
    access = current_access()
    employers = visible_employers(db.session, access)
    return render_template(
        "employers/index.html",
        access=access,
        employers=employers,
        jobs={job.id: job for job in access.timeline.jobs},
        return_reasons=return_reasons(db.session, employers),
    )


@bp.get("/employers/new")
@student_required
def new():
    """The Add employer form (a STEM student also attaches the Form I-983)."""
    access = current_access()
    access.require_employer_reporting()
    return _form_page(EmployerForm(), access)


@bp.post("/employers")
@student_required
def create():
    """Add an employer; 422 with the errors on the fields when something is wrong."""
    access = current_access()
    access.require_employer_reporting()
    form = EmployerForm()

    def save(data):
        return add_employer(db.session, current_student(), _with_i983(form, data), actor=current_actor(), access=access)

    def done(employer):
        review = " Your school will review it." if employer.review_status.value == "waiting" else ""
        return f"{employer.name} was added.{review}"

    return _save(form, access, save, done=done, shown=(RuleBroken, Conflict, UploadTooLarge), as_422=(Conflict,))


@bp.get("/employers/<int:employer_id>/edit")
@student_required
def edit(employer_id: int):
    """The edit form, carrying the row version for optimistic locking."""
    access = current_access()
    employer = _own_visible_employer_or_404(employer_id, access)
    access.require_edit()
    form = EditEmployerForm(obj=employer)
    form.version.data = employer.version
    return _form_page(form, access, employer=employer)


@bp.post("/employers/<int:employer_id>")
@student_required
def update(employer_id: int):
    """Save an edit; a stale version gets 409 with the current values beside the student's."""
    access = current_access()
    employer = _own_visible_employer_or_404(employer_id, access)
    access.require_edit()
    form = EditEmployerForm(obj=employer)
    for name in _stem_locked(employer, access):  # not posted (shown as text): keep the stored values
        form[name].data = getattr(employer, name)

    def save(data):
        version = posted_version(form.version.data)
        return update_employer(db.session, employer, data, actor=current_actor(), expected_version=version)

    def done(saved):
        return f"Your changes to {saved.name} were saved."

    return _save(form, access, save, done=done, employer=employer, shown=(RuleBroken, NotAllowed), as_422=(NotAllowed,))


@bp.get("/employers/<int:employer_id>/delete")
@student_required
def confirm_delete(employer_id: int):
    """The delete confirmation: a dialog in #modal-root for htmx, a page without JavaScript."""
    access = current_access()
    employer = _own_visible_employer_or_404(employer_id, access)
    access.require_edit()
    return render_page_or_partial(
        "employers/delete.html", "employers/_delete.html", form=DeleteEmployerForm(), employer=employer, error=None
    )


@bp.post("/employers/<int:employer_id>/delete")
@student_required
def delete(employer_id: int):
    """Soft-delete after the "never worked for this employer" tick; 422 without it, 409 when already deleted."""
    employer = own_employer(db.session, current_student(), employer_id)
    if employer is None or (not employer.is_deleted and employer.opt_authorization_id not in current_access().opt_ids):
        abort(404)
    form = DeleteEmployerForm()
    confirmed = form.validate_on_submit() and bool(form.never_worked.data)
    try:
        delete_employer(db.session, employer, actor=current_actor(), confirmed_never_worked=confirmed)
    except RuleBroken as error:
        form.never_worked.errors = [error.message]
        return render_page_or_partial(
            "employers/delete.html",
            "employers/_delete.html",
            status=422,
            form=form,
            employer=employer,
            error=error.message,
        )
    db.session.commit()
    flash(f"{employer.name} was deleted. Your DSO can restore it if this was a mistake.", "success")
    return redirect_or_swap(url_for(".index"))


@bp.get("/employers/<int:employer_id>/resubmit")
@student_required
def resubmit_form(employer_id: int):
    """The form to correct a STEM employer the school returned (every field) and attach its corrected Form I-983."""
    access = current_access()
    employer = _own_visible_employer_or_404(employer_id, access)
    access.require_edit()
    form = EditEmployerForm(obj=employer)
    form.version.data = employer.version
    return _form_page(form, access, employer=employer, resubmit=True)


@bp.post("/employers/<int:employer_id>/resubmit")
@student_required
def resubmit(employer_id: int):
    """Resubmit a returned STEM employer with its Form I-983: it waits for the school's review again (409 if not returned)."""
    access = current_access()
    employer = _own_visible_employer_or_404(employer_id, access)
    access.require_edit()
    form = EditEmployerForm()

    def save(data):
        version = posted_version(form.version.data)
        data = _with_i983(form, data)
        return resubmit_stem_employer(db.session, employer, data, actor=current_actor(), expected_version=version)

    def done(saved):
        return f'{saved.name} was sent back to your school. It shows "Waiting for school review" until your DSO accepts it.'

    return _save(form, access, save, done=done, employer=employer, resubmit=True)
