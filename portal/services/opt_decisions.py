"""What a school official records on a student's SEVIS record: OPT decisions, corrections,
early completion (and what it would give before it is recorded), transfers and changes of level, and the email of
record (rules 1, 4, 5, 6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.mail.outbox import queue_email
from portal.models import Event, OptAuthorization, ProgramRecord, School, Student, User, utcnow
from portal.models.enums import EducationLevel, OptKind, OptStatus, ProgramStatus
from portal.services.accounts import create_account_if_due
from portal.services.actors import Actor
from portal.services.clock import long_date, today_eastern
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.obligations import add_participation_validation, add_stem_obligations, sync_stem_obligations
from portal.services.students import check_date_range, normalize_email, open_program_record
from portal.services.timeline import completed_early_on, opts_running_on, timeline_for
from portal.services.timeline.database import load_facts
from portal.services.visibility import may_see


def _check_may_record(actor: Actor, student: Student) -> None:
    """Officials of the student's school, the system and the data feed may record decisions; nobody else."""
    if actor.is_student or actor.is_support:
        raise NotAllowed("Only the student's school officials can change a SEVIS record.")
    if not may_see(actor, student):
        raise NotFound("No such student at your school.")


def _opt_values(opt: OptAuthorization) -> dict:
    return {
        "kind": opt.kind,
        "status": opt.status,
        "start_date": opt.start_date,
        "end_date": opt.end_date,
        "actual_start_date": opt.actual_start_date,
        "actual_end_date": opt.actual_end_date,
        "ended_on": opt.ended_on,
    }


def _ead_date(value, *, field: str, what: str) -> date:
    if value is None or value == "":
        raise InvalidValue(f"Enter the date the EAD card is valid {what}, as printed on the card.", field=field)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidValue(f"The EAD valid-{what} date is not a date. Enter it like 2026-03-31.", field=field)
    return value


def check_ead_dates(actual_start_date, actual_end_date) -> tuple[date, date]:
    """The EAD card's validity dates, both required; refuses a missing one, one that is not a date, and an EAD that
    ends before it starts (rule 16 counts unemployment from the EAD's start)."""
    start = _ead_date(actual_start_date, field="actual_start_date", what="from")
    end = _ead_date(actual_end_date, field="actual_end_date", what="to")
    if end < start:
        raise RuleBroken(
            f"The EAD cannot end ({end:%m/%d/%Y}) before it starts ({start:%m/%d/%Y}). Check both dates on the card.",
            field="actual_end_date",
        )
    return start, end


def _create_account_once(session: Session, student: Student, *, actor: Actor) -> None:
    """DESIGN rule 1: an approval creates the portal account, once, whatever approved it, when the OPT's start date
    has come; a later start's account is created on that day by the daily notices."""
    create_account_if_due(session, student, actor=actor)


def _after_approval(session: Session, opt: OptAuthorization, *, actor: Actor, source_event) -> None:
    student = opt.program_record.student
    if opt.kind is OptKind.STEM:
        add_stem_obligations(session, opt, source_event=source_event)
    _create_account_once(session, student, actor=actor)


def approve_opt(
    session: Session,
    opt: OptAuthorization,
    *,
    actor: Actor,
    actual_start_date: date | None,
    actual_end_date: date | None,
) -> OptAuthorization:
    """Approve a pending OPT (post-completion or STEM) with its EAD card's validity dates and create the student's
    portal account; refuses one already decided and missing, malformed or inverted EAD dates."""
    student = opt.program_record.student
    _check_may_record(actor, student)
    if opt.status is not OptStatus.PENDING:
        raise Conflict(f"This OPT request is already {opt.status.value}. Use Correct to change a decision.")
    actual_start_date, actual_end_date = check_ead_dates(actual_start_date, actual_end_date)
    before = _opt_values(opt)
    opt.status = OptStatus.APPROVED
    # DESIGN rule 16: the requested dates stay as asked; unemployment counts from these.
    opt.actual_start_date, opt.actual_end_date = actual_start_date, actual_end_date
    opt.decided_at = utcnow()
    event = record_event(
        session, actor, "opt.approved", student=student, subject=f"opt:{opt.id}", before=before, after=_opt_values(opt)
    )
    _after_approval(session, opt, actor=actor, source_event=event)
    session.flush()
    return opt


def deny_opt(session: Session, opt: OptAuthorization, *, actor: Actor, reason: str = "") -> OptAuthorization:
    """Deny a pending OPT request; a denied STEM OPT and its employers leave the student's view (rule 6).

    Refuses a request already decided. The employers stay in the database and every event stays in History.
    """
    student = opt.program_record.student
    _check_may_record(actor, student)
    if opt.status is not OptStatus.PENDING:
        raise Conflict(f"This OPT request is already {opt.status.value}. Use Correct to change a decision.")
    reason = _clean_text(reason, 500, field="reason")
    before = _opt_values(opt)
    opt.status = OptStatus.DENIED
    opt.decided_at = utcnow()
    record_event(
        session,
        actor,
        "opt.denied",
        student=student,
        subject=f"opt:{opt.id}",
        before=before,
        after={**_opt_values(opt), "reason": reason, "employers_hidden": [employer.id for employer in opt.employers]},
    )
    sync_stem_obligations(session, student, actor=actor)  # rule 15: a denial closes the STEM duties
    return opt


def visible_to_student(opt: OptAuthorization) -> bool:
    """DESIGN rule 6: a denied STEM OPT (and so its employers) is not shown to the student."""
    return not (opt.kind is OptKind.STEM and opt.status is OptStatus.DENIED)


def correct_opt(
    session: Session,
    opt: OptAuthorization,
    *,
    actor: Actor,
    status: OptStatus | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    actual_start_date: date | None = None,
    actual_end_date: date | None = None,
) -> OptAuthorization:
    """Correct an OPT's status, requested dates or EAD dates; a correction to Approved creates the portal account (rule 1).

    An approved OPT must keep both EAD dates (given here or already recorded); a pending or denied one has none, so
    its EAD dates are cleared and refused if given. Refuses inverted ranges and a correction that changes nothing.
    """
    student = opt.program_record.student
    _check_may_record(actor, student)
    new_status = status or opt.status
    new_start = start_date or opt.start_date
    new_end = end_date or opt.end_date
    check_date_range(new_start, new_end)
    if new_status is OptStatus.APPROVED:
        new_actual = check_ead_dates(actual_start_date or opt.actual_start_date, actual_end_date or opt.actual_end_date)
    else:
        for field, value in (("actual_start_date", actual_start_date), ("actual_end_date", actual_end_date)):
            if value is not None:
                raise RuleBroken(
                    f"Only an approved OPT has EAD dates: leave them empty for a {new_status.value} OPT.", field=field
                )
        new_actual = (None, None)
    current = (opt.status, opt.start_date, opt.end_date, opt.actual_start_date, opt.actual_end_date)
    if (new_status, new_start, new_end, *new_actual) == current:
        raise RuleBroken("The correction changes nothing: change the status or a date.")
    was_approved = opt.status is OptStatus.APPROVED
    before = _opt_values(opt)
    opt.status, opt.start_date, opt.end_date = new_status, new_start, new_end
    opt.actual_start_date, opt.actual_end_date = new_actual
    if new_status is not OptStatus.PENDING and opt.decided_at is None:
        opt.decided_at = utcnow()
    event = record_event(
        session, actor, "opt.corrected", student=student, subject=f"opt:{opt.id}", before=before, after=_opt_values(opt)
    )
    if new_status is OptStatus.APPROVED and not was_approved:
        _after_approval(session, opt, actor=actor, source_event=event)
    sync_stem_obligations(session, student, actor=actor, source_event=event)  # rule 15: denied, ended or re-dated
    return opt


@dataclass(frozen=True)
class EarlyCompletion:
    """What completing a record early on a day would give: the completion date and the last day of read-only access
    (None when the record has no approved OPT, so no read-only time)."""

    completed_on: date
    read_only_until: date | None


def _check_completion(program: ProgramRecord, completed_on: date, today: date) -> None:
    if program.status is not ProgramStatus.ACTIVE:
        raise Conflict(f"This program record is already {program.status.value}.")
    if completed_on > today:
        raise RuleBroken("The completion date cannot be in the future.", field="completed_on")


def early_completion(
    session: Session, program: ProgramRecord, *, completed_on: date | None = None, today: date | None = None
) -> EarlyCompletion:
    """The last day of read-only access the timeline gives if ``program`` is completed early on ``completed_on``
    (today when None), the date complete_record_early will record; refuses what it refuses, and writes nothing."""
    today = today or today_eastern()
    completed_on = completed_on or today
    _check_completion(program, completed_on, today)
    return _as_completed(session, program, completed_on, today)[0]


def _as_completed(
    session: Session, program: ProgramRecord, completed_on: date, today: date
) -> tuple[EarlyCompletion, tuple[int, ...]]:
    """What the timeline says once ``program`` is completed on ``completed_on``: its read-only end, and the OPTs the
    completion ends. One read of the facts, shared by the preview and the completion so they cannot disagree."""
    facts = load_facts(session, [program.student_id])[program.student_id]
    running = opts_running_on(next(p for p in facts.programs if p.id == program.id), completed_on)
    timeline = timeline_for(completed_early_on(facts, program.id, completed_on), today)
    return EarlyCompletion(completed_on=completed_on, read_only_until=timeline.access.read_only_until), running


def complete_record_early(
    session: Session,
    program: ProgramRecord,
    *,
    actor: Actor,
    completed_on: date | None = None,
    today: date | None = None,
) -> Event:
    """Complete an active program record (and end its OPT) before the OPT end date; returns the completion's event.

    Refuses a record that is not active and a completion date in the future. The student keeps
    read-only access until six months after the OPT end date (rule 5); the event says until when, as the timeline does.
    """
    student = program.student
    _check_may_record(actor, student)
    today = today or today_eastern()
    completed_on = completed_on or today
    _check_completion(program, completed_on, today)
    completion, running = _as_completed(session, program, completed_on, today)
    before = {"status": program.status, "completed_on": None}
    program.status = ProgramStatus.COMPLETED
    program.completed_on = completed_on
    ended = [opt for opt in program.opt_authorizations if opt.id in running]
    for opt in ended:
        opt.ended_on = completed_on
    event = record_event(
        session,
        actor,
        "program.completed_early",
        student=student,
        subject=f"program:{program.id}",
        before=before,
        after={
            "status": program.status,
            "completed_on": completed_on,
            "opts_ended": [opt.id for opt in ended],
            "read_only_until": completion.read_only_until,
        },
    )
    sync_stem_obligations(session, student, actor=actor)  # rule 15: an early end closes the STEM duties
    return event


def recorded_read_only_until(event: Event) -> date | None:
    """The last day of read-only access a ``program.completed_early`` event records (older events list a date per
    ended OPT: the latest of them); None when it records none."""
    value = (event.after or {}).get("read_only_until")
    if isinstance(value, list):
        value = max(value, default=None)
    return date.fromisoformat(value) if value else None


def _end_opts(session: Session, program: ProgramRecord, ended_on: date) -> list[OptAuthorization]:
    """End the OPTs the timeline says are still running on ``ended_on`` (by their EAD dates)."""
    session.flush()  # the facts are read from the database
    facts = load_facts(session, [program.student_id])[program.student_id]
    running = opts_running_on(next(p for p in facts.programs if p.id == program.id), ended_on)
    ended = [opt for opt in program.opt_authorizations if opt.id in running]
    for opt in ended:
        opt.ended_on = ended_on
    return ended


def current_program(student: Student) -> ProgramRecord | None:
    """The student's active program record (the newest one when several are active)."""
    active = [record for record in student.program_records if record.status is ProgramStatus.ACTIVE]
    return active[-1] if active else None


def transfer_or_change_level(
    session: Session,
    student: Student,
    *,
    actor: Actor,
    education_level: EducationLevel,
    start_date: date,
    end_date: date,
    major: str = "",
    to_school: School | None = None,
    today: date | None = None,
) -> ProgramRecord:
    """Open a new program record under the same SEVIS ID and end the current one and its OPT (rule 4).

    ``to_school`` set means a transfer out (the record moves to that school); otherwise a change of
    education level at the same school. Refuses a student without an active program and an inverted range.
    """
    _check_may_record(actor, student)
    today = today or today_eastern()
    check_date_range(start_date, end_date)
    major = _clean_text(major, 120, field="major")
    old = current_program(student)
    if old is None:
        raise RuleBroken("This student has no active program record to transfer or change.")
    transfer = to_school is not None and to_school.id != student.school_id
    old.status = ProgramStatus.TRANSFERRED if transfer else ProgramStatus.COMPLETED
    old.completed_on = old.completed_on or today
    ended = _end_opts(session, old, today)
    event_type = "program.transferred_out" if transfer else "program.education_level_changed"
    record_event(
        session,
        actor,
        event_type,
        student=student,
        subject=f"program:{old.id}",
        before={"status": ProgramStatus.ACTIVE, "school_id": student.school_id, "education_level": old.education_level},
        after={
            "status": old.status,
            "school_id": to_school.id if transfer else student.school_id,
            "education_level": education_level,
            "opts_ended": [opt.id for opt in ended],
        },
    )
    if transfer:
        student.school_id = to_school.id
        student.school = to_school
    new = open_program_record(
        session,
        actor,
        student,
        education_level=education_level,
        start_date=start_date,
        end_date=end_date,
        major=major,
        school=to_school if transfer else None,
    )
    add_participation_validation(session, new)
    sync_stem_obligations(session, student, actor=actor)  # rule 15: a transfer or change of level closes them
    return new


def change_email_of_record(session: Session, student: Student, *, actor: Actor, new_email: str) -> Student:
    """Change the student's email of record and tell both addresses; refuses the same address and one in use."""
    _check_may_record(actor, student)
    new_email = normalize_email(new_email)
    old_email = student.email
    if new_email == old_email:
        raise RuleBroken("That is already the student's email address.", field="email")
    user = student.user
    taken = session.scalar(select(User.id).where(User.email == new_email))
    if taken is not None and (user is None or taken != user.id):
        raise Conflict("Another portal account already uses that email address.")
    student.email = new_email
    if user is not None:
        user.email = new_email
    record_event(
        session,
        actor,
        "student.email_changed",
        student=student,
        subject=f"student:{student.id}",
        before={"email": old_email},
        after={"email": new_email},
    )
    context = {
        "student_name": student.full_name,
        "old_email": old_email,
        "new_email": new_email,
        "changed_on": long_date(today_eastern()),
    }
    for address, to_old in ((old_email, True), (new_email, False)):
        queue_email(
            session,
            template="email_changed",
            to=address,
            context={**context, "to_old_address": to_old},
            student=student,
        )
    session.flush()
    return student


def _clean_text(value: str | None, limit: int, *, field: str) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidValue(f"Keep this under {limit} characters.", field=field)
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise InvalidValue("Remove the control characters from this text.", field=field)
    return value
