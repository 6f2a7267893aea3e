"""Alembic environment: runs against the app's own engine and metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

database = current_app.extensions["migrate"].db
target_metadata = database.metadata


def _options() -> dict:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("compare_type", True)
    options.setdefault("render_as_batch", True)
    return options


def run_migrations_offline() -> None:
    context.configure(url=str(database.engine.url), target_metadata=target_metadata, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          process_revision_directives=process_revision_directives, **_options())
        with context.begin_transaction():
            context.run_migrations()
        return
    with database.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          process_revision_directives=process_revision_directives, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
