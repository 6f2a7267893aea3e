"""The `portal` console script: Flask's CLI bound to this app (db, seed-demo, users, worker ...)."""

from flask.cli import FlaskGroup


def _create_app():
    from portal import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, help="OPT Portal operator commands.")
