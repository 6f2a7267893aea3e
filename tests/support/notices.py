"""Shared by the scheduled-notice tests: the day they run on, travelling to a send day, the emails queued."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.models import OutboxEmail
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.opt_decisions import approve_opt

TODAY = date(2026, 3, 10)


def emails(db_session, template):
    return db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.template == template).order_by(OutboxEmail.id)
    ).all()


def travel(time_machine, day):
    """Travel to 10 a.m. US Eastern on ``day`` (the send day the re-checks read)."""
    time_machine.move_to(datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC), tick=False)


def student_emails(db_session, student, *templates):
    query = select(OutboxEmail).where(OutboxEmail.student_id == student.id).order_by(OutboxEmail.id)
    if templates:
        query = query.where(OutboxEmail.template.in_(templates))
    return db_session.scalars(query).all()


def official_actor(factory, student):
    return Actor.for_user(factory.user(role=Role.DSO, school=student.school))


def approve_pending_opt(factory, db_session, student):
    """Approve the student's pending OPT with EAD dates equal to the requested ones."""
    opt = student.program_records[-1].opt_authorizations[0]
    approve_opt(
        db_session,
        opt,
        actor=official_actor(factory, student),
        actual_start_date=opt.start_date,
        actual_end_date=opt.end_date,
    )
