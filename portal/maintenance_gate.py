"""During a maintenance window every student and official page answers 503 with Retry-After (rule 11).

Still up: /healthz (the load balancer), the data feed (it queues), static files, the public help
pages, and the operator area for an operator who is already signed in. Sign-in is closed.
The windows come from the process's copy of the site state (services/site_state.py): no statement
on most requests, and a window starts exactly on time.
"""

from __future__ import annotations

import math

from flask import Flask, make_response, render_template, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.models import utcnow
from portal.models.enums import Role
from portal.services.site_state import site_state
from portal.web import format_eastern

ALWAYS_UP_PREFIXES = ("/healthz", "/api/feed/", "/static/", "/help/")


def _operator_signed_in() -> bool:
    return bool(current_user and current_user.is_authenticated and current_user.role == Role.OPERATOR)


def register_maintenance_gate(app: Flask) -> None:
    @app.before_request
    def _maintenance_gate():
        path = request.path
        if path.startswith(ALWAYS_UP_PREFIXES):
            return None
        now = utcnow()
        try:
            window = site_state(db.session, now).active_window(now)
        except SQLAlchemyError:  # the database is down: the page itself will say so, not this gate
            db.session.rollback()
            return None
        if window is None:
            return None
        if path.startswith("/operator/") and _operator_signed_in():
            return None
        body = render_template(
            "errors/maintenance.html",
            starts_text=format_eastern(window.starts_at),
            ends_text=format_eastern(window.ends_at),
            message=window.message,
        )
        response = make_response(body, 503)
        response.headers["Retry-After"] = str(max(1, math.ceil((window.ends_at - now).total_seconds())))
        response.headers["Cache-Control"] = "no-store"
        return response
