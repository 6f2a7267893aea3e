"""Demo data for `portal seed-demo`: two schools and about fifty students in every state the rules name."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.demo_data import EMPLOYERS, GIVEN_NAMES, HOME_ADDRESSES, SCHOOLS, SURNAMES
from portal.models import AccountLink, Address, Employer, School, Student, Upgrade, User, utcnow
from portal.models.enums import (
    AddressKind,
    ChangeKind,
    EducationLevel,
    EmployerReview,
    EmploymentTime,
    LinkPurpose,
    OptKind,
    OptStatus,
    ProgramStatus,
    Role,
)
from portal.services.account_links import link_url
from portal.services.accounts import create_account_for_approved_opt
from portal.services.actors import Actor
from portal.services.clock import today_eastern
from portal.services.employers import delete_employer
from portal.services.events import record_event
from portal.services.obligations import (
    add_address_change_obligation,
    add_participation_validation,
    add_stem_obligations,
)
from portal.services.opt_decisions import complete_record_early
from portal.services.passwords import hash_password
from portal.services.students import create_student, open_program_record, request_opt
from portal.services.throttling import FAILURES_BEFORE_LOCK, record_failed_sign_in

DEMO_PASSWORD = "lantern maple orbit 42"
# The demo's locked student stays locked this long (until a DSO unlocks it), so there is always one to unlock.
DEMO_LOCK_HELD_FOR = timedelta(days=3650)

# Each student's situation, in the words of DESIGN.md's rules; the seed cycles through them.
SITUATIONS = [
    "post_completion_no_employer",
    "post_completion_one_employer",
    "post_completion_three_employers",
    "deleted_employer",
    "pending_stem",
    "approved_stem",
    "stem_denied",
    "transferred",
    "early_completed",
    "locked_account",
    "must_change_password",
    "pending_post_completion",
    "invitation_not_accepted",
    "approved_future_start",
]


def seed(session: Session, *, students_per_school: int = 25, today: date | None = None) -> str:
    """Create the demo schools, officials and students; returns the sign-in summary to print."""
    today = today or today_eastern()
    rng = random.Random(20261122)
    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    system = Actor.system("Demo seed")
    lines = ["Demo data loaded. Sign in at the home page with any of:"]

    forcing_upgrade = Upgrade(completed_at=now - timedelta(days=2), force_password_change=True, note="Demo upgrade")
    session.add(forcing_upgrade)

    sequence = 0
    for school_index, (name, code, domain) in enumerate(SCHOOLS):
        school = School(
            name=name,
            code=code,
            office_name="International Student Office",
            office_email=f"iso@{domain}",
            office_phone=f"617555{school_index:02d}10",
            office_hours="Monday to Friday, 9 AM to 5 PM",
            office_address=f"{name}\n100 Main Street, Room 210",
        )
        session.add(school)
        session.flush()
        officials = [
            (Role.PRINCIPAL_DSO, f"pdso@{domain}", "Principal DSO"),
            (Role.DSO, f"dso1@{domain}", "DSO 1"),
            (Role.DSO, f"dso2@{domain}", "DSO 2"),
        ]
        for role, email, label in officials:
            session.add(
                User(
                    email=email,
                    role=role,
                    school_id=school.id,
                    display_name=f"{label}, {name}",
                    password_hash=password_hash,
                    password_changed_at=now,
                )
            )
            lines.append(f"  {role.value:<14} {email}")

        for index in range(students_per_school):
            sequence += 1
            situation = SITUATIONS[index % len(SITUATIONS)]
            given = GIVEN_NAMES[(sequence * 7) % len(GIVEN_NAMES)]
            surname = SURNAMES[sequence % len(SURNAMES)]
            student = create_student(
                session,
                system,
                school=school,
                sevis_id=f"N{school_index + 1:03d}{sequence:07d}",
                surname=surname,
                given_name=given,
                email=f"student{sequence:02d}@{domain}",
                phone=f"617555{sequence:04d}",
            )
            _add_home_address(session, student, rng)
            user = _seed_situation(
                session, student, situation, today=today, rng=rng, password_hash=password_hash, system=system
            )
            if user is not None and index < len(SITUATIONS):
                lines.append(f"  student        {user.email:<32} ({situation.replace('_', ' ')})")

    for role, email, label in [
        (Role.SUPPORT, "support@opt-portal.example", "Support agent"),
        (Role.OPERATOR, "operator@opt-portal.example", "Operator"),
    ]:
        session.add(
            User(email=email, role=role, display_name=label, password_hash=password_hash, password_changed_at=now)
        )
        lines.append(f"  {role.value:<14} {email}")
    session.flush()
    lines += _account_notes(session)
    return "\n".join(lines)


def _account_notes(session: Session) -> list[str]:
    """How officials enrol in MFA, and the account-creation links of students who have not used theirs."""
    notes = [
        "",
        "Officials, support and the operator set up two-step verification at their first sign-in:",
        "  scan the QR code with an authenticator app (or type the key shown under it into e.g.",
        "  `python -c 'import pyotp; print(pyotp.TOTP(\"KEY\").now())'`), type the 6-digit code, keep the recovery codes.",
        "Students see the attestation after each sign-in; the 'must change password' student changes it first.",
        "Account-creation links for students who have not created their account (confirm the SEVIS ID shown):",
    ]
    links = session.scalars(
        select(AccountLink)
        .where(
            AccountLink.purpose == LinkPurpose.ACCOUNT_CREATION,
            AccountLink.used_at.is_(None),
            AccountLink.voided_at.is_(None),
        )
        .order_by(AccountLink.id)
        .limit(4)
    ).all()
    for link in links:
        notes.append(f"  {link.user.student.sevis_id}  {link_url(link)}")
    return notes


def _add_home_address(session: Session, student: Student, rng: random.Random) -> None:
    line1, line2, city, state, postal_code = rng.choice(HOME_ADDRESSES)
    session.add(
        Address(
            student=student,
            kind=AddressKind.PHYSICAL,
            line1=line1,
            line2=line2,
            city=city,
            state=state,
            postal_code=postal_code,
        )
    )


def _student_user(session: Session, student: Student, password_hash: str | None, **fields) -> User:
    user = User(
        email=student.email,
        role=Role.STUDENT,
        student_id=student.id,
        display_name=student.full_name,
        password_hash=password_hash,
        password_changed_at=utcnow() if password_hash else None,
        **fields,
    )
    session.add(user)
    session.flush()
    return user


def _employer(
    session: Session,
    student: Student,
    opt,
    rng: random.Random,
    *,
    start: date,
    end: date | None = None,
    review: EmployerReview = EmployerReview.NOT_NEEDED,
) -> Employer:
    name, city, state, postal_code, title = rng.choice(EMPLOYERS)
    employer = Employer(
        student=student,
        opt_authorization=opt,
        name=name,
        address_line1=f"{rng.randint(1, 999)} Main Street",
        city=city,
        state=state,
        postal_code=postal_code,
        ein=f"{rng.randint(10**8, 10**9 - 1)}",
        course_relevance="The role applies the statistics and programming from my degree every day.",
        employment_time=EmploymentTime.FULL_TIME,
        start_date=start,
        end_date=end,
        supervisor_first_name="Jordan",
        supervisor_last_name="Rivera",
        supervisor_phone="6175550100",
        supervisor_email=f"jordan.rivera@{name.split()[0].lower()}.example.com",
        job_title=title,
        review_status=review,
    )
    session.add(employer)
    session.flush()
    actor = Actor(kind=Actor.system().kind, label="Demo seed")
    record_event(
        session,
        actor,
        "employer.added",
        student=student,
        change_kind=ChangeKind.EMPLOYER,
        subject=f"employer:{employer.id}",
        after=employer.snapshot(),
    )
    return employer


def _seed_situation(session, student, situation, *, today, rng, password_hash, system) -> User | None:
    """Give one student the records and account state that ``situation`` names."""
    program_start = today - timedelta(days=720)
    program_end = today - timedelta(days=120)
    program = open_program_record(
        session,
        system,
        student,
        education_level=EducationLevel.MASTERS,
        start_date=program_start,
        end_date=program_end,
        major="Data Science",
    )
    opt_start = program_end + timedelta(days=30)
    if situation == "approved_future_start":
        opt_start = today + timedelta(days=21)  # rule 1: the worker creates the account on this day
    opt = request_opt(
        session,
        system,
        program,
        kind=OptKind.POST_COMPLETION,
        start_date=opt_start,
        end_date=opt_start + timedelta(days=364),
    )

    if situation == "pending_post_completion":
        return None
    _approve(session, system, student, opt)
    if situation == "approved_future_start":
        return None
    if situation == "invitation_not_accepted":
        # Rule 1 through the real service: the account, the hashed one-time link and the queued email.
        return create_account_for_approved_opt(session, student, actor=system, today=today)

    user = _student_user(session, student, password_hash)
    if situation == "post_completion_one_employer":
        _employer(session, student, opt, rng, start=opt_start + timedelta(days=10))
    elif situation == "post_completion_three_employers":
        _employer(session, student, opt, rng, start=opt_start, end=opt_start + timedelta(days=40))
        _employer(session, student, opt, rng, start=opt_start + timedelta(days=50), end=opt_start + timedelta(days=120))
        _employer(session, student, opt, rng, start=opt_start + timedelta(days=125))
    elif situation == "deleted_employer":
        _employer(session, student, opt, rng, start=opt_start + timedelta(days=5))
        mistaken = _employer(session, student, opt, rng, start=opt_start + timedelta(days=60))
        # Through the real service, so the deletion, its event and the student's receipt agree on the time.
        delete_employer(session, mistaken, actor=Actor.for_user(user), confirmed_never_worked=True, today=today)
        add_address_change_obligation(session, student, told_on=today - timedelta(days=25))  # issue 5: one overdue
    elif situation in ("pending_stem", "approved_stem", "stem_denied"):
        _employer(session, student, opt, rng, start=opt_start + timedelta(days=3))
        stem = request_opt(
            session,
            system,
            program,
            kind=OptKind.STEM,
            start_date=opt.end_date + timedelta(days=1),
            end_date=opt.end_date + timedelta(days=730),
        )
        if situation == "approved_stem":
            _approve(session, system, student, stem)
            add_stem_obligations(session, stem)  # issue 5: the STEM validation reports and the I-983 evaluation
            _employer(session, student, stem, rng, start=stem.start_date, review=EmployerReview.ACCEPTED)
        elif situation == "stem_denied":
            stem.status = OptStatus.DENIED
            stem.decided_at = utcnow()
            record_event(
                session,
                system,
                "opt.denied",
                student=student,
                subject=f"opt:{stem.id}",
                before={"status": OptStatus.PENDING},
                after={"status": OptStatus.DENIED, "kind": OptKind.STEM},
            )
    elif situation == "transferred":
        _employer(session, student, opt, rng, start=opt_start + timedelta(days=7))
        program.status = ProgramStatus.TRANSFERRED
        opt.ended_on = today - timedelta(days=20)
        record_event(
            session,
            system,
            "program.transferred",
            student=student,
            subject=f"program:{program.id}",
            before={"status": ProgramStatus.ACTIVE},
            after={"status": ProgramStatus.TRANSFERRED},
        )
        new_program = open_program_record(
            session,
            system,
            student,
            education_level=EducationLevel.DOCTORATE,
            start_date=today - timedelta(days=19),
            end_date=today + timedelta(days=1400),
            major="Statistics",
        )
        add_participation_validation(session, new_program)  # issue 5: validate participation within 30 days
    elif situation == "early_completed":
        _employer(session, student, opt, rng, start=opt_start + timedelta(days=2), end=today - timedelta(days=30))
        # Through the real service, so the event says until when the student can read, as the timeline does.
        complete_record_early(session, program, actor=system, completed_on=today - timedelta(days=25), today=today)
    elif situation == "locked_account":
        # Five wrong passwords, as a real lock happens. A real pause ends by itself within a day (rule 18); the demo's
        # is given its length when it starts, so its email and event say the end it has, until a DSO tries Unlock.
        for _ in range(FAILURES_BEFORE_LOCK):
            record_failed_sign_in(session, user, cool_down=lambda _locks: DEMO_LOCK_HELD_FOR)
    elif situation == "must_change_password":
        user.password_changed_at = utcnow() - timedelta(days=30)
    session.flush()
    return user


def _approve(session, actor, student, opt) -> None:
    # The demo's EAD cards are valid for the dates requested (rule 16 counts from the EAD's, recorded here).
    opt.status = OptStatus.APPROVED
    opt.decided_at = utcnow()
    opt.actual_start_date, opt.actual_end_date = opt.start_date, opt.end_date
    record_event(
        session,
        actor,
        "opt.approved",
        student=student,
        subject=f"opt:{opt.id}",
        before={"status": OptStatus.PENDING, "actual_start_date": None, "actual_end_date": None},
        after={
            "status": OptStatus.APPROVED,
            "kind": opt.kind,
            "actual_start_date": opt.actual_start_date,
            "actual_end_date": opt.actual_end_date,
        },
    )
