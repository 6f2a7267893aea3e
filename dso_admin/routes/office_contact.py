"""The international office's contact details (issue 13): every official sees them, the principal DSO edits them."""

from __future__ import annotations

from flask import flash, url_for
from flask_login import current_user

from dso_admin.blueprints import admin
from dso_admin.helpers import own_school_id
from portal.auth import current_actor, official_required, principal_required
from portal.extensions import db
from portal.forms.office_contact import OfficeContactForm
from portal.models import School
from portal.models.enums import Role
from portal.services.errors import DomainError
from portal.services.office_contact import FIELDS, office_contact, update_office_contact
from portal.web import redirect_or_swap, render_page_or_partial, wants_partial


def _page(form: OfficeContactForm, school: School, status: int = 200, confirmation: str | None = None):
    return render_page_or_partial(
        "admin/office_contact/index.html",
        "admin/office_contact/_form.html",
        status=status,
        form=form,
        contact=office_contact(school),
        may_edit=current_user.role is Role.PRINCIPAL_DSO,
        confirmation=confirmation,
    )


def _filled(school: School, formdata=None) -> OfficeContactForm:
    return OfficeContactForm(formdata=formdata, **{name: getattr(school, name) or "" for name in FIELDS})


@admin.get("/office-contact")
@official_required
def office_contact_settings():
    """The school's office contact details, as students see them; the principal DSO also gets the form."""
    return _page(_filled(db.session.get(School, own_school_id())), db.session.get(School, own_school_id()))


@admin.post("/office-contact")
@principal_required
def save_office_contact():
    """Save the office contact details; a malformed value gets its message on the field (422)."""
    school = db.session.get(School, own_school_id())
    form = OfficeContactForm()
    if not form.validate_on_submit():
        return _page(form, school, status=422)
    try:
        changed = update_office_contact(
            db.session, school, {name: form[name].data for name in FIELDS}, actor=current_actor()
        )
    except DomainError as error:
        db.session.rollback()
        if error.field not in FIELDS:
            raise
        form[error.field].errors = [error.message]
        return _page(form, db.session.get(School, own_school_id()), status=error.status_code)
    db.session.commit()
    message = (
        "Saved. Students see these details wherever the portal tells them to contact their DSO."
        if changed
        else "Nothing changed."
    )
    if not wants_partial():
        flash(message, "success")
    return redirect_or_swap(
        url_for("admin.office_contact_settings"),
        "admin/office_contact/_form.html",
        form=_filled(school),
        contact=office_contact(school),
        may_edit=True,
        confirmation=message,
    )
