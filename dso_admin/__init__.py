"""The officials' and support workspace: blueprints under /admin, /support and /operator."""

from flask import Flask

from dso_admin.blueprints import admin, support


def register(app: Flask) -> None:
    """Attach the dso_admin blueprints to the portal app."""
    # inside: importing any dso_admin module runs this file first; the routes load only when an app is built
    from dso_admin.routes import (  # noqa: F401  (the modules without a blueprint of their own add routes to admin or support)
        change_lists,
        communications,
        digest,
        feed_tokens,
        obligations,
        office_contact,
        officials,
        onboarding,
        operator,
        operator_upgrades,
        overview,
        record_actions,
        stem_duties,
        student_info,
        students,
        support_desk,
    )

    app.register_blueprint(admin)
    app.register_blueprint(support)
    app.register_blueprint(operator_upgrades.bp)
    app.register_blueprint(operator.bp)
    app.register_blueprint(onboarding.bp)
    app.register_blueprint(feed_tokens.bp)
