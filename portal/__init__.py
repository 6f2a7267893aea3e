"""OPT Portal: the Flask application factory."""

from __future__ import annotations

from flask import Flask

from portal.config import Config


def create_app(config_class: type = Config) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, CLI commands."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config_class)

    from portal import encryption

    encryption.init_app(app)

    from portal import auth  # noqa: F401  (registers the user loader)
    from portal.extensions import csrf, db, htmx, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    from portal.web import register_web_hooks

    register_web_hooks(app)

    from portal.maintenance_gate import register_maintenance_gate

    register_maintenance_gate(app)
    _register_blueprints(app)
    _register_context(app)

    from portal.commands import register_commands

    register_commands(app)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    from portal.routes import auth, health

    app.register_blueprint(health.bp)
    app.register_blueprint(auth.bp)

    from portal.routes import help as help_pages

    app.register_blueprint(help_pages.bp)

    from portal.routes import account

    app.register_blueprint(account.bp)

    from portal.routes import feed_api

    app.register_blueprint(feed_api.bp)

    from portal.routes import contact, dashboard, documents, employers, history, problems

    for student_area in (dashboard, employers, contact, history, documents, problems):
        app.register_blueprint(student_area.bp)

    from dso_admin import register as register_dso_admin

    register_dso_admin(app)


def _register_context(app: Flask) -> None:
    from portal.notices import site_notices

    @app.context_processor
    def _site_notices():
        return {"site_notices": site_notices()}
