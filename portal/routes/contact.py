"""The student's contact details: phone, physical and mailing addresses, an email change request."""

from __future__ import annotations

from flask import Blueprint, abort, flash, url_for

from portal.auth import current_actor, student_required
from portal.extensions import db
from portal.forms.contact import AddressForm, EmailChangeForm, PhoneForm
from portal.forms.employers import RELOAD_MESSAGE
from portal.routes.student_common import attach_error, current_access, current_student, posted_version
from portal.services.contact import remove_mailing_address, request_email_change, update_address, update_phone
from portal.services.errors import RuleBroken, StaleEdit
from portal.services.words import phone_number
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("contact", __name__)

ADDRESS_KINDS = ("physical", "mailing")


def _address(kind: str):
    return next((a for a in current_student().addresses if a.kind.value == kind), None)


def _forms(**overrides) -> dict:
    """Every form on the page, filled from the record unless a posted form replaces it."""
    student = current_student()
    phone = PhoneForm(formdata=None, phone=phone_number(student.phone), version=student.version)
    forms = {"phone_form": phone, "email_form": EmailChangeForm(formdata=None)}
    for kind in ADDRESS_KINDS:
        address = _address(kind)
        form = AddressForm(formdata=None, obj=address, prefix=kind)
        form.version.data = address.version if address is not None else ""
        forms[f"{kind}_form"] = form
    forms.update(overrides)
    return forms


def _page(partial: str, *, status: int = 200, **context):
    access = current_access()
    values = {
        "access": access,
        "student": current_student(),
        "addresses": {k: _address(k) for k in ADDRESS_KINDS},
        "errors": {},
        "stale": {},
        **_forms(),
        **context,
    }
    return render_page_or_partial("contact/index.html", partial, status=status, **values)


@bp.get("/contact")
@student_required
def index():
    """Show the phone, addresses and email of record with a form for each."""
    return _page("contact/_phone.html")


@bp.post("/contact/phone")
@student_required
def phone():
    """Change the phone number; 422 on a bad number, 409 with the current number when it changed meanwhile."""
    form = PhoneForm()
    if not form.validate_on_submit():
        return _page("contact/_phone.html", status=422, phone_form=form)
    try:
        update_phone(
            db.session,
            current_student(),
            form.phone.data,
            actor=current_actor(),
            expected_version=posted_version(form.version.data),
        )
    except StaleEdit as error:
        form.version.data = current_student().version
        return _page(
            "contact/_phone.html",
            status=409,
            phone_form=form,
            errors={"phone": error.message},
            stale={"phone": error.current},
        )
    except RuleBroken as error:
        return _page("contact/_phone.html", status=422, phone_form=form, errors={"phone": attach_error(form, error)})
    db.session.commit()
    flash("Your phone number was saved. Your school has been told.", "success")
    return redirect_or_swap(url_for(".index"))


@bp.post("/contact/address/<kind>")
@student_required
def address(kind: str):
    """Set the physical or mailing address; 422 on a bad address or a P.O. box as physical, 409 when stale."""
    if kind not in ADDRESS_KINDS:
        abort(404)
    partial = "contact/_address.html"
    form = AddressForm(prefix=kind)
    if not form.validate_on_submit():
        return _page(partial, status=422, kind=kind, **{f"{kind}_form": form})
    try:
        update_address(
            db.session,
            current_student(),
            kind,
            form.service_data(),
            actor=current_actor(),
            expected_version=posted_version(form.version.data, allow_empty=True),
        )
    except StaleEdit as error:
        current = _address(kind)
        form.version.data = current.version if current is not None else ""
        return _page(
            partial,
            status=409,
            kind=kind,
            errors={kind: error.message},
            stale={kind: error.current},
            **{f"{kind}_form": form},
        )
    except RuleBroken as error:
        return _page(partial, status=422, kind=kind, errors={kind: attach_error(form, error)}, **{f"{kind}_form": form})
    db.session.commit()
    flash(f"Your {kind} address was saved. Your school has been told.", "success")
    return redirect_or_swap(url_for(".index"))


@bp.post("/contact/address/mailing/remove")
@student_required
def remove_mailing():
    """Remove the optional mailing address (409 when there is none or it changed meanwhile, 422 without a version)."""
    form = AddressForm(prefix="mailing")
    if not form.version.data:
        return _page("contact/_address.html", status=422, kind="mailing", errors={"mailing": RELOAD_MESSAGE})
    remove_mailing_address(
        db.session, current_student(), actor=current_actor(), expected_version=posted_version(form.version.data)
    )
    db.session.commit()
    flash("Your mailing address was removed.", "success")
    return redirect_or_swap(url_for(".index"))


@bp.post("/contact/email")
@student_required
def email():
    """Ask the DSO to change the email of record; 422 on a bad or unchanged address."""
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return _page("contact/_email.html", status=422, email_form=form)
    try:
        request_email_change(db.session, current_student(), form.email.data, actor=current_actor())
    except RuleBroken as error:
        return _page("contact/_email.html", status=422, email_form=form, errors={"email": attach_error(form, error)})
    db.session.commit()
    flash("Your request was sent to your DSO, who changes your email address of record.", "success")
    return redirect_or_swap(url_for(".index"))
