"""Change lists: choose a date range or 'since my last download', kinds and a format; download streams."""

from __future__ import annotations

from datetime import date
from functools import partial

from flask import abort, flash, request, url_for
from flask_login import current_user

from dso_admin.blueprints import admin
from dso_admin.helpers import download, own_school_id
from portal.auth import current_actor, official_required
from portal.extensions import db
from portal.models import ChangeListDownload, School, SevisRecordResult
from portal.models.enums import ChangeKind, ExportFormat
from portal.services import change_list_files, change_lists
from portal.services.errors import DomainError, InvalidValue
from portal.services.sevis import batch_files, batch_xml, transaction_log
from portal.services.sevis import results as sevis_results
from portal.web import redirect_or_swap, render_page_or_partial

KIND_LABELS = {
    ChangeKind.EMPLOYER: "Employers (added, edited, deleted, restored, reviewed)",
    ChangeKind.CONTACT: "Contact details",
    ChangeKind.ADDRESS: "Addresses",
    ChangeKind.DOCUMENT: "Documents",
}


BY_HAND_SHOWN = 200


def _page(status: int = 200, error: str | None = None, field: str | None = None, log_error: str | None = None):
    downloads = change_lists.recent_downloads(db.session, current_user.id)
    last = downloads[0] if downloads else None
    by_hand = (
        change_lists.by_hand(db.session, last.school_id, change_lists.range_of(last), limit=BY_HAND_SHOWN + 1)
        if last is not None
        else []
    )
    return render_page_or_partial(
        "admin/change_lists/index.html",
        "admin/change_lists/_form.html",
        status=status,
        last=last,
        downloads=downloads,
        by_hand=by_hand[:BY_HAND_SHOWN],
        more_by_hand=len(by_hand) > BY_HAND_SHOWN,
        mark=change_lists.since_mark(db.session, current_user.id),
        error=error,
        error_field=field,
        kind_labels=KIND_LABELS,
        form=request.form if request.method == "POST" else {},
        logs=sevis_results.recent_logs(db.session, own_school_id()),
        log_error=log_error,
        max_log_mb=transaction_log.MAX_LOG_BYTES // (1024 * 1024),
    )


@admin.get("/change-lists")
@official_required
def change_list_form():
    """The change-list form, with when this official last downloaded."""
    return _page()


def _date(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidValue("Enter a date like 2026-03-31.", field=name) from None


@admin.post("/change-lists/download")
@official_required
def download_change_list():
    """Record the download (an event; it moves 'since my last download'), then send the browser to the file."""
    actor = current_actor()
    try:
        fmt = ExportFormat(request.form.get("format") or "csv")
        kinds = change_lists.parse_kinds(request.form.getlist("kinds"))
        change_range = change_lists.resolve_range(
            db.session,
            actor,
            start=_date("start"),
            end=_date("end"),
            since_last=request.form.get("since_last") == "1",
            kinds=kinds,
        )
    except ValueError:
        return _page(422, "Choose CSV, XLSX or SEVIS batch XML.", "format")
    except DomainError as error:
        return _page(422, error.message, error.field)
    school_id = own_school_id()
    contents = None
    if fmt is ExportFormat.XML:
        contents = batch_xml.batch_contents(db.session, school_id, change_range)
        rows = len(contents)
        if rows == 0:
            return _page(
                422,
                "There are no employer or address changes in that range for a SEVIS batch file. "
                "Choose another range, or download CSV or XLSX.",
            )
        if contents[-1].part > batch_files.MAX_FILES_PER_DOWNLOAD:
            return _page(
                422,
                f"That range holds {rows:,} SEVIS records, more than one download can carry "
                f"({batch_files.MAX_FILES_PER_DOWNLOAD * batch_files.MAX_RECORDS_PER_FILE:,}). "
                "Choose a shorter range.",
            )
    else:
        rows = change_lists.count_changes(db.session, school_id, change_range)
    record = change_lists.record_download(db.session, actor, fmt=fmt, change_range=change_range, row_count=rows)
    if contents is not None:  # what each batch file holds, to match the transaction log SEVIS returns
        sevis_results.record_batch_contents(db.session, record, contents)
    db.session.commit()
    # The file itself comes from a GET: it streams outside this write transaction and can be fetched again.
    return redirect_or_swap(url_for("admin.change_list_file", download_id=record.id))


@admin.get("/change-lists/downloads/<int:download_id>")
@official_required
def change_list_file(download_id: int):
    """Stream a change list this official downloaded (same range and kinds); anyone else's is a 404."""
    record = db.session.get(ChangeListDownload, download_id)
    if record is None or record.user_id != current_user.id or record.school_id != own_school_id():
        abort(404)
    school_id = record.school_id
    change_range = change_lists.range_of(record)
    school = db.session.get(School, school_id)
    name = partial(change_lists.file_name, school, change_range)
    if record.format is ExportFormat.CSV:
        body = change_list_files.change_list_csv(db.session, school_id, change_range)
        return download(body, filename=name(what="change-list", extension="csv"), kind="csv")
    if record.format is ExportFormat.XLSX:
        body = change_list_files.change_list_xlsx(db.session, school_id, change_range)
        return download(body, filename=name(what="change-list", extension="xlsx"), kind="xlsx")
    user_id = batch_xml.sevis_user_id(current_actor())
    records = batch_xml.xml_records(db.session, school_id, change_range, user_id=user_id)
    if record.row_count <= batch_files.MAX_RECORDS_PER_FILE:
        body = batch_files.xml_single(records, school=school, user_id=user_id, download_id=record.id)
        return download(body, filename=name(what="sevis-batch", extension="xml"), kind="xml")
    body = batch_files.xml_zip(records, school=school, user_id=user_id, download_id=record.id)
    return download(body, filename=name(what="sevis-batch", extension="zip"), kind="zip")


@admin.post("/change-lists/logs")
@official_required
def upload_transaction_log():
    """Take the transaction log SEVIS returned for one of the school's batch files and mark each record accepted or
    rejected; a log that is not XML, too large, malformed, another school's or names records the batch did not hold
    is refused with its reason and changes nothing."""
    upload = request.files.get("log")
    try:
        if upload is None or not upload.filename:
            raise InvalidValue("Choose the transaction log file SEVIS returned.", field="log")
        data = transaction_log.read_log(upload.stream, upload.filename)
        log = sevis_results.apply_transaction_log(db.session, current_actor(), data=data, filename=upload.filename)
    except DomainError as error:  # refused before anything was written
        return _page(error.status_code, log_error=error.message)
    db.session.commit()
    flash(f"Batch {log.batch_id}: SEVIS accepted {log.accepted_count} and rejected {log.rejected_count}.", "success")
    return redirect_or_swap(url_for("admin.change_list_form"))


@admin.post("/change-lists/results/<int:result_id>/resolve")
@official_required
def resolve_sevis_rejection(result_id: int):
    """Mark a record SEVIS rejected as resolved (after the confirmation), so it stops coming back; another school's
    is a 404."""
    result = db.session.get(SevisRecordResult, result_id)
    if result is None or result.school_id != own_school_id():
        abort(404)
    try:
        sevis_results.resolve_rejection(
            db.session, result, actor=current_actor(), confirmed=request.form.get("confirm") == "1"
        )
    except DomainError as error:
        return _page(error.status_code, log_error=error.message)
    db.session.commit()
    flash(
        f"The rejection of {result.record.request_id} in batch {result.log.batch_id} is resolved; "
        "it no longer comes back in change lists.",
        "success",
    )
    return redirect_or_swap(url_for("admin.change_list_form"))
