"""The operator area: maintenance windows, the demo mailbox, and links to upgrades (/operator/upgrades)."""

from __future__ import annotations

import email
import re
from datetime import datetime, timezone
from email import policy

from flask import Blueprint, abort, current_app, flash, url_for
from markupsafe import Markup, escape

from portal.auth import current_actor, operator_required
from portal.extensions import db
from portal.forms.maintenance import CancelWindowForm, MaintenanceWindowForm
from portal.models.enums import EmailStatus
from portal.services.clock import EASTERN
from portal.services.errors import DomainError
from portal.services.maintenance import cancel_window, schedule_window
from portal.services.operator_reads import email_queue, maintenance_windows
from portal.web import page_arg, redirect_or_swap, render_page_or_partial
from portal.worker.delivery import mailbox_dir

bp = Blueprint("operator", __name__, url_prefix="/operator", template_folder="../templates")

PAGE_SIZE = 50
_MAILBOX_NAME = re.compile(r"[A-Za-z0-9._-]+\.eml")
_URL = re.compile(r"https?://[^\s<>\"]+")


@bp.get("/")
@operator_required
def index():
    """The operator's start page: email queue health and links to each operator task."""
    counts, failed = email_queue(db.session)
    return render_page_or_partial(
        "operator/index.html", "operator/_queue.html", counts=counts, failed=failed, statuses=list(EmailStatus)
    )


def _page() -> int:
    return page_arg(maximum=10_000)


def _render_maintenance(form, *, status=200, error=None):
    page = _page()
    windows, has_next = maintenance_windows(db.session, page=page, per_page=PAGE_SIZE)
    return render_page_or_partial(
        "operator/maintenance.html",
        "operator/_maintenance_form.html",
        status=status,
        form=form,
        error=error,
        windows=windows,
        page_number=page,
        has_next=has_next,
        cancel_form=CancelWindowForm(),
    )


@bp.get("/maintenance")
@operator_required
def maintenance():
    """Scheduled, current and past maintenance windows, and the form to schedule one."""
    return _render_maintenance(MaintenanceWindowForm())


@bp.post("/maintenance")
@operator_required
def schedule():
    """Schedule a window from Eastern times; refuses an inverted, past or overlapping window (422)."""
    form = MaintenanceWindowForm()
    if not form.validate_on_submit():
        return _render_maintenance(form, status=422)
    try:
        schedule_window(
            db.session,
            starts_at=form.starts_at.data.replace(tzinfo=EASTERN),
            ends_at=form.ends_at.data.replace(tzinfo=EASTERN),
            message=form.message.data or "",
            actor=current_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        if error.field and error.field in form:
            form[error.field].errors = [*form[error.field].errors, error.message]
            return _render_maintenance(form, status=422)
        return _render_maintenance(form, status=422, error=error.message)
    db.session.commit()
    flash("The maintenance window is scheduled. The banner shows from 48 hours before it starts.", "success")
    return redirect_or_swap(url_for(".maintenance"))


@bp.post("/maintenance/<int:window_id>/cancel")
@operator_required
def cancel(window_id: int):
    """Cancel a window that has not ended (404 for an unknown one, 409 for an ended or cancelled one)."""
    CancelWindowForm().validate_on_submit()
    cancel_window(db.session, window_id, actor=current_actor())
    db.session.commit()
    flash("The maintenance window is cancelled.", "success")
    return redirect_or_swap(url_for(".maintenance"))


def _read_message(path):
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=policy.default)


def _sent_at(message) -> datetime | None:
    """The Date header as a timestamp (pages show it in US Eastern time); None when it is missing or unreadable."""
    header = message["Date"]
    moment = getattr(header, "datetime", None)
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


@bp.get("/mailbox")
@operator_required
def mailbox():
    """The local demo mailbox (no SMTP configured): the newest emails first."""
    page = _page()
    directory = mailbox_dir()
    files = (
        sorted(directory.glob("*.eml"), key=lambda path: path.stat().st_mtime, reverse=True)
        if directory.is_dir()
        else []
    )
    shown = files[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    messages = []
    for path in shown:
        message = _read_message(path)
        messages.append(
            {
                "name": path.name,
                "to": message["To"],
                "subject": message["Subject"],
                "date": _sent_at(message),
                "reference": message["X-Portal-Reference"],
            }
        )
    return render_page_or_partial(
        "operator/mailbox.html",
        "operator/_mailbox_rows.html",
        messages=messages,
        page_number=page,
        has_next=len(files) > page * PAGE_SIZE,
        smtp_host=current_app.config.get("SMTP_HOST"),
    )


def _linkify(text: str) -> Markup:
    """Escape the plain-text body and make its URLs clickable (the account-creation link, for a newcomer)."""
    parts, last = [], 0
    for match in _URL.finditer(text):
        parts.append(escape(text[last : match.start()]))
        url = match.group(0)
        parts.append(Markup('<a class="usa-link portal-break" href="{0}">{0}</a>').format(url))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


@bp.get("/mailbox/<name>")
@operator_required
def mailbox_message(name: str):
    """One email from the local mailbox, its links clickable; 404 for any other name."""
    if not _MAILBOX_NAME.fullmatch(name):
        abort(404)
    path = mailbox_dir() / name
    if not path.is_file():
        abort(404)
    message = _read_message(path)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return render_page_or_partial(
        "operator/mailbox_message.html",
        "operator/mailbox_message.html",
        message=message,
        sent_at=_sent_at(message),
        paragraphs=[_linkify(p) for p in text.strip().split("\n\n")],
    )
