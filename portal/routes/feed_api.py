"""The SEVIS data feed endpoint: POST a batch with a school's token, read its per-record results (issue 6, point 5)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import csrf, db
from portal.models import FeedBatch, School
from portal.services.feed.parsing import FeedRefused, parse_batch
from portal.services.feed.receiving import batch_result, receive_batch
from portal.services.feed.tokens import school_for_token
from portal.services.sevis.transaction_log import transaction_log_xml

bp = Blueprint("feed_api", __name__, url_prefix="/api/feed")
csrf.exempt(bp)


def _json(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _unauthorized() -> Response:
    response = _json(
        {"error": "unauthorized", "reason": "Send a valid, unrevoked school token: Authorization: Bearer <token>."}, 401
    )
    response.headers["WWW-Authenticate"] = 'Bearer realm="sevis-feed"'
    return response


def _refusal() -> Response:
    """401 without valid credentials; 403 for a signed-in person, whose session is valid but is not a feed token."""
    if "Authorization" not in request.headers and current_user.is_authenticated:
        return _json(
            {"error": "forbidden", "reason": "The data feed takes a school token, not a signed-in session."}, 403
        )
    return _unauthorized()


def _token_school() -> School | None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    return school_for_token(db.session, raw.strip()) if scheme.lower() == "bearer" else None


def _wants_xml() -> bool:
    return (
        request.args.get("format") == "xml"
        or request.accept_mimetypes.best_match(["application/json", "application/xml"]) == "application/xml"
    )


def _answer(result: dict, school: School, status: int) -> Response:
    if _wants_xml():
        return Response(transaction_log_xml(result, org_id=school.code), status=status, mimetype="application/xml")
    return _json(result, status)


@bp.post("/batches")
def receive():
    """Receive one batch (JSON lines or SEVIS batch XML): 401 without a valid token, 413 over the size limit,
    422 for a refused file or rejected records, 202 when queued during maintenance, 200 when all applied."""
    school = _token_school()
    if school is None:
        return _refusal()
    limit = int(current_app.config.get("FEED_MAX_BYTES") or current_app.config["MAX_CONTENT_LENGTH"])
    if (request.content_length or 0) > limit:
        return _json(
            {"error": "too_large", "reason": f"A batch may be at most {limit // (1024 * 1024)} MB; split the file."},
            413,
        )
    data = request.get_data(cache=False)
    if len(data) > limit:
        return _json(
            {"error": "too_large", "reason": f"A batch may be at most {limit // (1024 * 1024)} MB; split the file."},
            413,
        )
    try:
        parsed = parse_batch(data)
        _batch, result = receive_batch(db.session, school, parsed)
    except FeedRefused as refused:
        db.session.rollback()
        return _json({"error": "refused", "reason": refused.reason, "applied": 0}, refused.status)
    db.session.commit()
    counts = result["counts"]
    status = 422 if counts.get("rejected") else (202 if counts.get("queued") else 200)
    return _answer(result, school, status)


@bp.get("/batches/<batch_id>")
def show(batch_id: str):
    """The per-record results of one of the token's school's batches (404 for any other)."""
    school = _token_school()
    if school is None:
        return _refusal()
    batch = db.session.scalar(
        select(FeedBatch).where(FeedBatch.school_id == school.id, FeedBatch.batch_id == batch_id[:100])
    )
    if batch is None:
        return _json({"error": "not_found", "reason": "No batch with that id from your school."}, 404)
    return _answer(batch_result(db.session, batch), school, 200)
