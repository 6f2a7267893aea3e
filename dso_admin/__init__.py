"""The officials' and support workspace: blueprints under /admin, /support and /operator."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the dso_admin blueprints to the portal app."""
    from dso_admin.blueprints import admin, support
    from dso_admin.routes import (  # noqa: F401  (each module adds its routes to a blueprint)
        change_lists,
        communications,
        digest,
        obligations,
        office_contact,
        officials,
        overview,
        record_actions,
        stem_duties,
        student_info,
        students,
        support_desk,
    )

    app.register_blueprint(admin)
    app.register_blueprint(support)

    from dso_admin.routes import operator_upgrades

    app.register_blueprint(operator_upgrades.bp)

    from dso_admin.routes import feed_tokens, onboarding, operator

    app.register_blueprint(operator.bp)
    app.register_blueprint(onboarding.bp)
    app.register_blueprint(feed_tokens.bp)
