"""Operator commands registered on the app's CLI: seed-demo, users create."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.demo import DEMO_PASSWORD, seed
from portal.encryption import new_key
from portal.extensions import db
from portal.models import FeedToken, School, Student, User, utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.clock import EASTERN
from portal.services.errors import DomainError
from portal.services.feed.parsing import FeedRefused, parse_batch
from portal.services.feed.receiving import receive_batch
from portal.services.feed.tokens import create_feed_token, revoke_feed_token
from portal.services.maintenance import cancel_window, schedule_window, upcoming_windows
from portal.services.mfa import reseal_secrets
from portal.services.officials import check_principal_vacancy
from portal.services.passwords import hash_password
from portal.services.sevis.transaction_log import transaction_log_xml
from portal.services.students import normalize_email, normalize_sevis_id
from portal.services.timeline.database import refresh_all_marks_now
from portal.services.upgrades import complete_upgrade
from portal.worker.loop import run_worker


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(users)
    app.cli.add_command(upgrade)

    app.cli.add_command(worker)
    app.cli.add_command(maintenance)
    app.cli.add_command(feed)
    app.cli.add_command(secrets_group)
    app.cli.add_command(timeline)


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Seed even when the database already has schools.")
def seed_demo(force: bool) -> None:
    """Fill an empty database with two schools, their officials and about 50 students in every state."""
    if not force and db.session.scalar(select(func.count(School.id))):
        click.echo("The database already has data; nothing seeded (use --force to add the demo anyway).")
        return
    summary = seed(db.session)
    db.session.commit()
    click.echo(summary)
    click.echo(f"Every demo account's password is: {DEMO_PASSWORD}")


@click.group("users")
def users() -> None:
    """Manage portal accounts."""


@users.command("create")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@click.option("--email", required=True)
@click.option("--school", "school_code", help="School code, for DSOs and principal DSOs.")
@click.option("--sevis-id", help="The student's SEVIS ID, for students.")
@click.option("--name", "display_name", default="", help="Display name.")
def create_user_command(
    role: str, email: str, school_code: str | None, sevis_id: str | None, display_name: str
) -> None:
    """Create a user; asks for the password on a terminal, or reads one line from stdin.

    A school has exactly one principal DSO: a second is refused (add them as a DSO; the principal hands over).
    """
    try:
        email = normalize_email(email)
        school = student = None
        if role in (Role.DSO, Role.PRINCIPAL_DSO):
            if not school_code:
                raise click.UsageError("--school is required for DSOs and principal DSOs.")
            school = db.session.scalar(select(School).where(School.code == school_code))
            if school is None:
                raise click.UsageError(f"No school with code {school_code}.")
        if role == Role.STUDENT:
            if not sevis_id:
                raise click.UsageError("--sevis-id is required for students.")
            student = db.session.scalar(select(Student).where(Student.sevis_id == normalize_sevis_id(sevis_id)))
            if student is None:
                raise click.UsageError(f"No student with SEVIS ID {sevis_id}.")
    except DomainError as error:
        raise click.UsageError(error.message) from error
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise click.UsageError(f"An account for {email} already exists.")
    if role == Role.PRINCIPAL_DSO:
        try:
            check_principal_vacancy(db.session, school)
        except DomainError as error:
            raise click.ClickException(error.message) from error  # exit code 1, no traceback

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        raise click.UsageError("The password must be at least 12 characters.")

    user = User(
        email=email,
        role=Role(role),
        school_id=school.id if school else None,
        student_id=student.id if student else None,
        display_name=display_name or email,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as error:  # another command made a principal (or took the email) meanwhile
        db.session.rollback()
        raise click.ClickException(
            f"{email} was not created: another account was created at the same time "
            "(a principal DSO for this school, or this email). Run the command again to see "
            "which."
        ) from error
    click.echo(f"Created {role} {email} (id {user.id}).")


@click.group("upgrade")
def upgrade() -> None:
    """Record upgrades (rule 12)."""


@upgrade.command("complete")
@click.option("--force-password-change", is_flag=True, help="Every student must choose a new password at next sign-in.")
@click.option("--note", default="", help="One line saying what the upgrade was.")
def complete_upgrade_command(force_password_change: bool, note: str) -> None:
    """Record that an upgrade is complete, optionally forcing students to change their passwords."""
    try:
        done = complete_upgrade(
            db.session,
            actor=Actor.system("Operator (command line)"),
            note=note,
            force_password_change=force_password_change,
        )
    except DomainError as error:
        raise click.UsageError(error.message) from error
    db.session.commit()
    click.echo(
        f"Upgrade {done.id} recorded at {done.completed_at.isoformat()}."
        + (" Students must choose a new password at their next sign-in." if force_password_change else "")
    )


@click.group("secrets")
def secrets_group() -> None:
    """Keys for the secrets stored encrypted (DATA_ENCRYPTION_KEY)."""


@secrets_group.command("new-key")
def secrets_new_key() -> None:
    """Print a new random key for DATA_ENCRYPTION_KEY."""
    click.echo(new_key())


@secrets_group.command("rotate")
def secrets_rotate() -> None:
    """Re-encrypt every stored TOTP secret under DATA_ENCRYPTION_KEY, reading with the old keys.

    After it, the keys in DATA_ENCRYPTION_OLD_KEYS are no longer needed. Exits 1 when some secret opens with none of
    the configured keys (those users are listed; a DSO's Reset Portal Account with "clear two-step" re-enrols them).
    """
    report = reseal_secrets(db.session)
    db.session.commit()
    click.echo(
        f"{report.resealed} TOTP secrets re-encrypted under DATA_ENCRYPTION_KEY; {report.already_current} were already."
    )
    if report.unreadable:
        listed = ", ".join(str(user_id) for user_id in report.unreadable[:50])
        more = f" and {len(report.unreadable) - 50} more" if len(report.unreadable) > 50 else ""
        click.echo(
            f"{len(report.unreadable)} could not be opened with any configured key (user ids {listed}{more}).", err=True
        )
        sys.exit(1)


@click.command("worker")
@click.option("--until-empty", is_flag=True, help="Stop once nothing is due (scripts and tests).")
@click.option("--batch-size", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--idle-seconds", default=2.0, show_default=True, type=click.FloatRange(0.05, 60))
def worker(until_empty: bool, batch_size: int, idle_seconds: float) -> None:
    """Deliver queued email over SMTP (or into instance/mailbox without SMTP_HOST) and create scheduled notices.

    Several workers may run on PostgreSQL; on SQLite run one.
    """
    sent = run_worker(until_empty=until_empty, batch_size=batch_size, idle_seconds=idle_seconds)
    click.echo(f"Worker stopped; {sent} emails sent.")


def _eastern_datetime(value: str, option: str):
    """Parse "2026-03-19 20:00" as US Eastern time (or an ISO time with its own offset) into aware UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise click.BadParameter(
            "use the form 2026-03-19 20:00 (US Eastern) or an ISO time with an offset", param_hint=option
        ) from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=EASTERN)
    return parsed.astimezone(UTC)


@click.group("maintenance")
def maintenance() -> None:
    """Maintenance windows: banner 48 hours before, 503 during (rule 11)."""


@maintenance.command("schedule")
@click.option("--start", "start", required=True, help='Start, US Eastern: "2026-03-19 20:00".')
@click.option("--end", "end", required=True, help='End, US Eastern: "2026-03-20 00:00".')
@click.option("--message", default="", help="What users are told.")
def maintenance_schedule(start: str, end: str, message: str) -> None:
    """Schedule a maintenance window."""
    try:
        window = schedule_window(
            db.session,
            starts_at=_eastern_datetime(start, "--start"),
            ends_at=_eastern_datetime(end, "--end"),
            message=message,
            actor=Actor.system("Operator (CLI)"),
        )
    except DomainError as error:
        raise click.UsageError(error.message) from error
    db.session.commit()
    click.echo(
        f"Scheduled window {window.id}: {window.starts_at:%Y-%m-%d %H:%M} to {window.ends_at:%Y-%m-%d %H:%M} UTC."
    )


@maintenance.command("list")
def maintenance_list() -> None:
    """List maintenance windows, latest first."""
    for window in upcoming_windows(db.session):
        state = "cancelled" if window.cancelled_at else ("caught up" if window.caught_up_at else "")
        click.echo(
            f"{window.id}\t{window.starts_at:%Y-%m-%d %H:%M}\t{window.ends_at:%Y-%m-%d %H:%M} UTC\t{state}\t{window.message}"
        )


@maintenance.command("cancel")
@click.argument("window_id", type=int)
def maintenance_cancel(window_id: int) -> None:
    """Cancel a window that has not ended."""
    try:
        cancel_window(db.session, window_id, actor=Actor.system("Operator (CLI)"))
    except DomainError as error:
        raise click.UsageError(error.message) from error
    db.session.commit()
    click.echo(f"Cancelled window {window_id}.")


@click.group("feed")
def feed() -> None:
    """The SEVIS data feed: import a batch file, manage school tokens."""


def _school_by_code(code: str) -> School:
    school = db.session.scalar(select(School).where(School.code == code))
    if school is None:
        raise click.UsageError(f"No school with code {code}.")
    return school


@feed.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--school", "school_code", required=True, help="The school code the batch belongs to.")
@click.option("--xml", "as_xml", is_flag=True, help="Print the SEVIS transaction log (XML) instead of JSON.")
def feed_import(file: str, school_code: str, as_xml: bool) -> None:
    """Import a batch file (JSON lines or SEVIS batch XML); prints the per-record results. Exit 1 if any record was rejected."""
    school = _school_by_code(school_code)
    try:
        _batch, result = receive_batch(db.session, school, parse_batch(Path(file).read_bytes()))
    except FeedRefused as refused:
        db.session.rollback()
        raise click.ClickException(f"Refused, nothing applied: {refused.reason}") from refused
    db.session.commit()
    click.echo(transaction_log_xml(result, org_id=school.code) if as_xml else json.dumps(result, indent=2))
    if result["counts"].get("rejected"):
        sys.exit(1)


@feed.group("token")
def feed_token() -> None:
    """Per-school API tokens (stored hashed)."""


@feed_token.command("create")
@click.option("--school", "school_code", required=True)
@click.option("--name", required=True, help="What uses the token, e.g. 'SIS nightly export'.")
def feed_token_create(school_code: str, name: str) -> None:
    """Create a token and print it once."""
    try:
        token, raw = create_feed_token(
            db.session, _school_by_code(school_code), name=name, actor=Actor.system("Operator (CLI)")
        )
    except DomainError as error:
        raise click.UsageError(error.message) from error
    db.session.commit()
    click.echo(f"Token {token.id} for {school_code} (shown once, store it now):")
    click.echo(raw)


@feed_token.command("revoke")
@click.argument("token_id", type=int)
def feed_token_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    token = db.session.get(FeedToken, token_id)
    if token is None:
        raise click.UsageError(f"No token {token_id}.")
    try:
        revoke_feed_token(db.session, token, actor=Actor.system("Operator (CLI)"))
    except DomainError as error:
        raise click.UsageError(error.message) from error
    db.session.commit()
    click.echo(f"Revoked token {token_id}.")


@click.group("timeline")
def timeline() -> None:
    """The timeline's stored marks (what the daily notices and the DSO lists read)."""


@timeline.command("refresh-marks")
def timeline_refresh_marks() -> None:
    """Recompute every student's stored timeline marks with the current rules and record their version."""
    refreshed = refresh_all_marks_now(db.session)
    db.session.commit()
    click.echo(
        f"Recomputed the timeline marks of {refreshed.students} students ({refreshed.marks} marks) "
        f"with rules version {refreshed.to_version}."
    )
