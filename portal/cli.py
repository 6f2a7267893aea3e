"""The `portal` console script: Flask's CLI bound to this app (db, seed-demo, users, worker ...)."""

from flask.cli import FlaskGroup

from portal import create_app

main = FlaskGroup(create_app=create_app, help="OPT Portal operator commands.")
