"""Form I-983 and EAD card uploads, and downloads, for the signed-in student."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, request, send_file, url_for

from portal.auth import current_actor, student_required
from portal.extensions import db
from portal.forms.documents import EadCardUploadForm, I983UploadForm
from portal.forms.stem import EvaluationUploadForm
from portal.models.enums import OptStatus
from portal.routes.student_common import attach_error, current_access, current_student
from portal.services.documents import own_document, student_documents, upload_ead_card, upload_i983
from portal.services.errors import Conflict, RuleBroken
from portal.services.stem_duties import upload_i983_evaluation
from portal.services.timeline import DutyKind
from portal.services.uploads import PDF_MAX_BYTES, UploadTooLarge, stored_path
from portal.web import redirect_or_swap, render_page_or_partial

bp = Blueprint("documents", __name__)

# Room for the multipart envelope and the other fields around the file itself.
FORM_OVERHEAD_BYTES = 256 * 1024


# Photos open in the browser so an official can judge them at a glance; everything else (PDFs) downloads.
INLINE_TYPES = frozenset({"image/png", "image/jpeg"})
# The file is the whole document: no script, no plug-in, no request to anywhere, even if it claims to be HTML.
DOCUMENT_CSP = "sandbox; default-src 'none'"


def send_document(document):
    """A stored upload for every viewer (student, school official, support): a PDF as an attachment, a PNG or JPEG
    photo as an image, both with nosniff and a sandboxing Content-Security-Policy; a missing file is a 404."""
    path = stored_path(current_app.config["UPLOAD_DIR"], document.stored_name)
    if not path.is_file():
        abort(404)
    inline = document.content_type in INLINE_TYPES
    mimetype = (
        document.content_type if inline or document.content_type == "application/pdf" else "application/octet-stream"
    )
    response = send_file(
        path, mimetype=mimetype, as_attachment=not inline, download_name=document.original_filename, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = DOCUMENT_CSP
    return response


def _page(
    form=None,
    ead_form=None,
    *,
    status=200,
    errors=None,
    evaluation_form=None,
    evaluation_errors=None,
    partial=None,
    show_evaluation=False,
):
    """The documents page, or the partial of the form that was posted (its errors go with it alone)."""
    ead = ead_form is not None
    access = current_access()
    partial = partial or ("documents/_ead_upload.html" if ead else "documents/_upload.html")
    return render_page_or_partial(
        "documents/index.html",
        partial,
        status=status,
        form=form or I983UploadForm(),
        ead_form=ead_form or EadCardUploadForm(),
        errors=None if ead else errors,
        ead_errors=errors if ead else None,
        show_evaluation=show_evaluation or access.stem_opt is not None,
        evaluation_form=evaluation_form or EvaluationUploadForm(formdata=None),
        evaluation_errors=evaluation_errors,
        access=access,
        documents=student_documents(db.session, current_student()),
    )


@bp.get("/documents")
@student_required
def index():
    """The student's uploads and the Form I-983 and EAD card upload forms."""
    return _page()


@bp.post("/documents")
@student_required
def upload():
    """Upload a Form I-983: 413 over 10 MB, 422 for a non-PDF or a PDF with JavaScript."""
    if (request.content_length or 0) > PDF_MAX_BYTES + FORM_OVERHEAD_BYTES:
        raise UploadTooLarge("The Form I-983 file is larger than 10 MB. Upload a smaller file.")
    form = I983UploadForm()
    form.validate_on_submit()
    if not getattr(form.file.data, "filename", ""):
        form.file.errors = ["Choose your Form I-983 PDF file."]
        return _page(form, status=422)
    try:
        upload_i983(
            db.session,
            current_student(),
            form.file.data.stream,
            form.file.data.filename,
            actor=current_actor(),
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    except UploadTooLarge as error:
        return _page(form, status=413, errors=attach_error(form, error))
    except RuleBroken as error:
        return _page(form, status=422, errors=attach_error(form, error))
    db.session.commit()
    flash("Your Form I-983 was uploaded. Your DSO can see it.", "success")
    return redirect_or_swap(url_for(".index"))


@bp.post("/documents/ead")
@student_required
def upload_ead():
    """Upload the EAD card: 413 over the limit, 422 for anything but a PDF or a PNG/JPEG photo."""
    if (request.content_length or 0) > PDF_MAX_BYTES + FORM_OVERHEAD_BYTES:
        raise UploadTooLarge("The EAD card file is larger than 10 MB. Upload a smaller file.")
    form = EadCardUploadForm()
    form.validate_on_submit()
    if not getattr(form.ead_file.data, "filename", ""):
        form.ead_file.errors = ["Choose the PDF or photo of your EAD card."]
        return _page(ead_form=form, status=422)
    try:
        upload_ead_card(
            db.session,
            current_student(),
            form.ead_file.data.stream,
            form.ead_file.data.filename,
            actor=current_actor(),
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    except UploadTooLarge as error:
        return _page(ead_form=form, status=413, errors=attach_error(form, error))
    except RuleBroken as error:
        return _page(ead_form=form, status=422, errors=attach_error(form, error))
    db.session.commit()
    flash("Your EAD card was uploaded. Your DSO can see it.", "success")
    return redirect_or_swap(url_for(".index"))


@bp.post("/documents/evaluations")
@student_required
def upload_evaluation():
    """Upload the 12-month or final Form I-983 evaluation: 422 with the message on the field for an OPT that is not STEM,
    a non-PDF or a PDF with JavaScript; 409 when it is no longer required or already reviewed; 413 over 10 MB."""
    if (request.content_length or 0) > PDF_MAX_BYTES + FORM_OVERHEAD_BYTES:
        raise UploadTooLarge("The Form I-983 evaluation file is larger than 10 MB. Upload a smaller file.")
    form = EvaluationUploadForm()
    page = dict(
        form=I983UploadForm(formdata=None),
        evaluation_form=form,
        partial="documents/_evaluation.html",
        show_evaluation=True,
    )
    if not form.validate_on_submit():
        return _page(status=422, **page)
    if not getattr(form.file.data, "filename", ""):
        form.file.errors = ["Choose your Form I-983 evaluation PDF file."]
        return _page(status=422, **page)
    access = current_access()
    opt = access.stem_opt or next((o for o in access.opts if o.status is OptStatus.APPROVED), None)
    try:
        upload_i983_evaluation(
            db.session,
            current_student(),
            opt,
            DutyKind(form.evaluation.data),
            form.file.data.stream,
            form.file.data.filename,
            actor=current_actor(),
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    except ValueError:
        form.evaluation.errors = ["Choose the 12-month or the final evaluation."]
        return _page(status=422, **page)
    except (UploadTooLarge, RuleBroken, Conflict) as error:
        return _page(status=error.status_code, evaluation_errors=attach_error(form, error), **page)
    db.session.commit()
    flash("Your Form I-983 evaluation was uploaded. Your DSO reviews it.", "success")
    return redirect_or_swap(url_for(".index"))


@bp.get("/documents/<int:document_id>/download")
@student_required
def download(document_id: int):
    """Download one of the student's own uploads as an attachment (404 for anyone else's)."""
    document = own_document(db.session, current_student(), document_id)
    if document is None:
        abort(404)
    return send_document(document)
