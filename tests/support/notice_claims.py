"""What each scheduled email claims, checked against its student's timeline on the day it is queued or sent,
independently of the sweep's own code (the ten-year run and the surface properties use it)."""

from __future__ import annotations

from portal.models import OutboxEmail
from portal.models.enums import ProgramStatus
from portal.services.timeline import DutyState, Timeline


def claim_contradicted(email: OutboxEmail, timeline: Timeline) -> str | None:
    """What the email says, checked against the timeline of its day (independently of the sweep's own code)."""
    day, access = timeline.today, timeline.access
    if email.template == "unemployment_warning":
        threshold = int(email.dedupe_key.rsplit(":", 1)[1])
        if timeline.unemployment.used < threshold or not timeline.unemployment.counting:
            return f"{threshold} days claimed, {timeline.unemployment.used} used (counting: {timeline.unemployment.counting})"
    elif email.template == "opt_ended":
        if timeline.extension is not None and day <= timeline.extension.until:
            return "OPT ended while a timely STEM extension is pending"
        if timeline.opt_ended_on != email.due_on or day <= email.due_on:
            return f"OPT ended on {email.due_on} claimed; the timeline says {timeline.opt_ended_on}"
    elif email.template == "access_ending":
        if access.closed or access.read_only_until != email.due_on:
            return f"access ending {email.due_on} claimed; the timeline says {access}"
    elif email.template == "access_ended" and timeline.program and timeline.program.status is ProgramStatus.TERMINATED:
        if not access.closed or timeline.program.completed_on != email.due_on or email.due_on > day:
            return f"access closed by a termination on {email.due_on} claimed; the timeline says {access}"
    elif email.template == "access_ended":
        if not access.closed or access.read_only_until != email.due_on or access.closes_on > day:
            return f"access closed after {email.due_on} claimed; the timeline says {access}"
    elif email.template == "stem_validation_due":
        if not any(duty.due_on == email.due_on and duty.state is DutyState.OPEN for duty in timeline.duties):
            return f"a STEM duty due {email.due_on} claimed; none is open"
    elif email.template == "account_creation":
        if timeline.account_due_on is None or timeline.account_due_on > day:
            return f"account created before the OPT start ({timeline.account_due_on})"
    return None
