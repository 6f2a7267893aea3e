"""The demo seed writes its records through the real services, so its events say what the real ones say."""

from __future__ import annotations

from datetime import date, datetime, time

import time_machine
from sqlalchemy import select

from portal.demo import seed
from portal.models import Event, ProgramRecord
from portal.models.enums import ProgramStatus
from portal.services.clock import EASTERN
from portal.services.timeline import AccessLevel
from portal.services.timeline.database import student_timeline

TODAY = date(2026, 11, 10)


def test_the_demo_early_completion_records_the_timeline_s_last_day_of_read_only_access(db_session):
    with time_machine.travel(datetime.combine(TODAY, time(12), tzinfo=EASTERN), tick=False):
        seed(db_session, students_per_school=13, today=TODAY)
        events = db_session.scalars(
            select(Event).where(Event.event_type == "program.completed_early").order_by(Event.id)
        ).all()
        assert events
        for event in events:
            program = db_session.get(ProgramRecord, int(event.subject.removeprefix("program:")))
            access = student_timeline(db_session, event.student_id, TODAY).access
            assert program.status is ProgramStatus.COMPLETED and access.level is AccessLevel.READ_ONLY
            assert event.after["read_only_until"] == access.read_only_until.isoformat()
            assert event.after["opts_ended"] == [opt.id for opt in program.opt_authorizations]
