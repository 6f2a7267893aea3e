"""OPT Portal: the Flask application factory."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask
from flask_login import current_user
from sqlalchemy.orm import Session

from dso_admin import register as register_dso_admin
from portal.config import Config


def create_app(config_class: type = Config) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, CLI commands."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_class)
    _ask_once_whether_async(app)

    # inside: importing any portal module runs this file first; the rest of the app loads only when one is built
    from portal import (  # noqa: F401  (auth registers the user loader)
        auth,
        commands,
        encryption,
        extensions,
        maintenance_gate,
        web,
    )

    encryption.init_app(app)
    extensions.db.init_app(app)
    _keep_timeline_marks_current()
    extensions.migrate.init_app(
        app, extensions.db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True
    )
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.htmx.init_app(app)
    extensions.limiter.init_app(app)
    app.url_map.converters["int"] = web.BoundedIntegerConverter  # before any route is added
    web.register_web_hooks(app)
    maintenance_gate.register_maintenance_gate(app)
    _register_blueprints(app)
    _register_context(app)
    commands.register_commands(app)
    skip_app_wide_rate_limit_check(app, extensions.limiter)
    return app


def _ask_once_whether_async(app: Flask) -> None:
    """Flask asks ``inspect`` whether each hook and view is a coroutine function on every request (about 18 times
    a page); the answer never changes, so it is asked once per function."""
    ask = app.ensure_sync
    remembered = functools.lru_cache(maxsize=1024)(ask)

    def ensure_sync(func):
        try:
            return remembered(func)
        except TypeError:  # an unhashable callable: ask every time, as Flask does
            return ask(func)

    app.ensure_sync = ensure_sync


def skip_app_wide_rate_limit_check(app: Flask, limiter) -> None:
    """Drop Flask-Limiter's per-request check for app-wide limits while there are none.

    The portal's limits sit on the routes that need them (sign-in, emailed links) and their decorators
    check them. Flask-Limiter also checks every request for default, application, meta, blueprint and
    fallback limits; with none configured that check finds nothing, at about 0.04 ms a request.
    Anything unknown keeps the check.
    """
    manager = limiter.limit_manager
    app_wide = (
        manager.default_limits,
        manager.application_limits,
        getattr(manager, "_blueprint_limits", True),
        getattr(limiter, "_meta_limits", True),
        getattr(limiter, "_in_memory_fallback", True),
    )
    hooks = app.before_request_funcs.get(None, [])
    if not any(app_wide) and limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def _keep_timeline_marks_current() -> None:
    """Every session, the app's and a script's alike, rewrites the timeline marks of the students a flush touches."""
    # inside: importing any portal module runs this file first; the models load only when an app is built
    from portal.services.timeline.database import keep_marks_current

    keep_marks_current(Session)


def _migrations_dir():
    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    # inside: importing any portal module runs this file first; the routes load only when an app is built
    from portal.routes import (
        account,
        auth,
        contact,
        dashboard,
        documents,
        employers,
        feed_api,
        health,
        help,
        history,
        problems,
        record,
        stem,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(help.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(feed_api.bp)
    for student_area in (dashboard, employers, contact, history, documents, problems, stem, record):
        app.register_blueprint(student_area.bp)
    register_dso_admin(app)


def _signed_in_student_office():
    """The signed-in student's school office contact for the "contact your DSO" block; None for anyone else."""
    # inside: importing any portal module runs this file first; the services load only when an app is built
    from portal.services.office_contact import office_contact

    student = getattr(current_user, "student", None) if current_user.is_authenticated else None
    return office_contact(student.school) if student is not None else None


def _register_context(app: Flask) -> None:
    # inside: importing any portal module runs this file first; the notices load only when an app is built
    from portal.notices import site_notices

    @app.context_processor
    def _site_notices():
        return {"site_notices": site_notices()}

    @app.context_processor
    def _student_office():
        return {"student_office": _signed_in_student_office}
