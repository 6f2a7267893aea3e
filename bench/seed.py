"""Bulk-seed a large dataset for `make bench` with SQLAlchemy Core (COPY on PostgreSQL for the big tables).

Default (--scale 1): one school of 20,000 students, 50,000 employers, 500,000 events. Scale multiplies
every count; schools hold 20,000 students each. Two accounts are made for the benchmark: a student
with a few employers and a long history, and a DSO of the first school with a known TOTP secret.
Beside them, an export school (--export-changes, 1,000,000 by default; 0 for none) whose only business is
its change list: that many changes (employer, address and contact events with realistic before/after
values) by 5,000 students, and a DSO of its own. The pages run against the first school, so their
dataset keeps its shape; only the events table holds the export school's rows as well.
With --storm-students N, N students whose OPT is still running (storm_emails) have the bench password and a full
password history (what the history check reads, as a student who changed their password many times): the clients
of bench.storm, the forced change after an upgrade.
Run as ``python -m bench.seed --scale S`` with DATABASE_URL set, after ``portal db upgrade``; prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import create_engine, func, insert, select, update

from portal import create_app
from portal.demo_data import EMPLOYERS as DEMO_EMPLOYERS
from portal.demo_data import GIVEN_NAMES
from portal.demo_data import SURNAMES as DEMO_SURNAMES
from portal.models import (
    Address,
    Employer,
    Event,
    OptAuthorization,
    PasswordHistory,
    ProgramRecord,
    School,
    Student,
    TimelineMark,
    TimelineMarksVersion,
    User,
)
from portal.models.enums import (
    ActorKind,
    AddressKind,
    ChangeKind,
    EducationLevel,
    EmploymentTime,
    OptKind,
    OptStatus,
    ProgramStatus,
    Role,
)
from portal.services.events import changes_text, field_changes
from portal.services.mfa import seal_secret
from portal.services.password_policy import HISTORY_DEPTH
from portal.services.passwords import hash_password
from portal.services.timeline import MARKS_VERSION, marks_for
from portal.services.timeline.database import load_facts

STUDENTS_PER_SCHOOL = 20_000
BENCH_PASSWORD = "bench password lantern 42"
BENCH_MFA_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# The bench draws its names from the demo's lists (the first ones, so the seeded rows stay as they were).
SURNAMES = DEMO_SURNAMES[:20]
GIVEN = GIVEN_NAMES[:12]
EMPLOYERS = [employer[0] for employer in DEMO_EMPLOYERS[:6]]
EVENT_TYPES = [
    ("employer.added", "employer"),
    ("employer.updated", "employer"),
    ("contact.phone_changed", "contact"),
    ("address.updated", "address"),
    ("email.sent", None),
    ("data.transmitted", None),
]
CHUNK = 20_000
EXPORT_CHANGES = 1_000_000
EXPORT_STUDENTS = 5_000
# Not the first school's names (its students search for "Garcia" must find what it found before); some need quoting.
EXPORT_SURNAMES = ["Müller", "O'Neil", "Dubois", "Ng, Jr.", "Fischer", "D'Souza", "Andersen", "Öztürk", "Smith"]
EXPORT_DSO_EMAIL = "exports@bench.example.edu"


def storm_indexes(count: int) -> list[int]:
    """The storm's students (--storm-students), as indexes in the seed's order: after the first (the pages' student),
    those whose OPT is still running (a student whose access has closed cannot sign in; see rule 5)."""
    indexes, index = [], 1
    while len(indexes) < count:
        if _opt_age_days(index + 1) < 350:  # the student's program record is the (index + 1)th
            indexes.append(index)
        index += 1
    return indexes


def storm_emails(count: int) -> list[str]:
    """The storm students' addresses, in order."""
    return [f"student{index + 1}@bench.example.edu" for index in storm_indexes(count)]


def _seed_storm_history(conn, count: int, *, now: datetime) -> None:
    """HISTORY_DEPTH earlier passwords for each storm student: as many as the history check can read (a few hashes,
    shared; checking one costs the same whoever owns it)."""
    earlier = [hash_password(f"an earlier password {number} willow") for number in range(HISTORY_DEPTH)]
    user_ids = conn.scalars(select(User.id).where(User.email.in_(storm_emails(count))).order_by(User.id)).all()
    _bulk(
        conn,
        PasswordHistory.__table__,
        [
            {"user_id": user_id, "password_hash": old, "created_at": now - timedelta(days=90 * (HISTORY_DEPTH - age))}
            for user_id in user_ids
            for age, old in enumerate(earlier)
        ],
    )


def _chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _bulk(conn, table, rows) -> None:
    """Many rows at once: COPY on PostgreSQL, multi-row INSERT elsewhere."""
    if not rows:
        return
    keys = set().union(*(row.keys() for row in rows[:2]))
    if any(row.keys() != keys for row in rows[:2]):
        rows = [{key: row.get(key) for key in sorted(keys)} for row in rows]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
        return
    for chunk in _chunks(rows):
        conn.execute(insert(table), chunk)


def _copy(conn, table, rows) -> None:
    columns = list(rows[0].keys())
    processors = {name: table.c[name].type.bind_processor(conn.dialect) for name in columns}
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for name in columns:
                    value = row[name]
                    processor = processors[name]
                    if processor is not None and value is not None:
                        value = processor(value)
                    if isinstance(value, (dict, list)):  # a JSON column's value
                        value = json.dumps(value)
                    values.append(value)
                copy.write_row(values)


def _opt_age_days(program_id: int) -> int:
    return 60 + (program_id - 1) * 37 % 500


def _opt_start(today: date, program_id: int) -> date:
    """The bench OPTs start between 60 days and about a year and a half ago (the first student's 60 days ago)."""
    return today - timedelta(days=_opt_age_days(program_id))


def _noon(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=12), tzinfo=timezone.utc)


def _seed_timeline_marks(conn, student_ids: list[int]) -> None:
    """Each student's timeline marks, computed by the app's own timeline (the ORM hook does not see bulk inserts)."""
    for start in range(0, len(student_ids), 5000):
        facts = load_facts(conn, student_ids[start : start + 5000])
        _bulk(
            conn,
            TimelineMark.__table__,
            [
                {
                    "student_id": fact.student_id,
                    "school_id": fact.school_id,
                    "kind": str(mark.kind),
                    "starts_on": mark.starts_on,
                    "ends_on": mark.ends_on,
                    "detail": mark.detail,
                }
                for fact in facts.values()
                for mark in marks_for(fact)
            ],
        )
    # Computed by the current rules: the worker has nothing to recompute before its first sweep.
    conn.execute(update(TimelineMarksVersion.__table__).values(version=MARKS_VERSION))


def _employer_snapshot(number: int) -> dict:
    """What an employer event carries (Employer.snapshot()): twenty fields, some with commas, quotes and ampersands."""
    return {
        "id": number,
        "name": f'{EMPLOYERS[number % len(EMPLOYERS)]}, "Data" & Co',
        "address_line1": f"{number % 900 + 1} Main Street",
        "address_line2": "Suite 5" if number % 2 else "",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "ein": f"{100000000 + number % 899999999}",
        "self_employed": False,
        "course_relevance": "Applies my degree in data science, statistics and <machine> learning.",
        "employment_time": "full_time",
        "start_date": "2026-01-05",
        "end_date": None,
        "supervisor_first_name": "Ada",
        "supervisor_last_name": "Lovelace",
        "supervisor_phone": "6175551234",
        "supervisor_phone_ext": None,
        "supervisor_email": "ada@example.com",
        "job_title": "Data Analyst",
        "reported_late": False,
        "review_status": "not_needed",
    }


def _export_change(number: int, student: int, rng) -> tuple[str, str, dict | None, dict | None]:
    """One change as a student makes them: event type, kind, before and after."""
    roll = number % 20
    if roll < 8:  # an employer edited: one to three of its twenty fields change
        before = _employer_snapshot(number % 5000)
        after = dict(before, job_title=rng.choice(["Senior Analyst", "Engineer", "=Lead"]))
        if roll < 3:
            after.update(city="Cambridge", postal_code="02139")
        return "employer.updated", "employer", before, after
    if roll < 10:
        return "employer.added", "employer", None, _employer_snapshot(number % 5000)
    if roll < 15:
        return (
            "contact.phone_changed",
            "contact",
            {"phone": f"617555{number % 10000:04d}"},
            {"phone": f"617555{(number + 1) % 10000:04d}"},
        )
    if roll < 19:
        before = {
            "line1": f"{student % 999 + 1} Elm Street",
            "line2": "",
            "city": "Boston",
            "state": "MA",
            "postal_code": "02115",
        }
        after = dict(before, kind="physical", line1=f"{number % 97} Oak Ave")
        return "address.physical_changed", "address", before, after
    email = f"s{student}@bench.example.edu"
    return (
        "contact.email_change_requested",
        "contact",
        {"email": email, "requested_email": None},
        {"email": email, "requested_email": f"new{student}@example.com"},
    )


def seed_export_school(conn, *, changes: int, first_sevis: int, now: datetime, password_hash: str, rng) -> dict:
    """The export school: ``changes`` change events, oldest two years ago, by its students; its DSO's account."""
    _bulk(conn, School.__table__, [{"name": "Bench Export University", "code": "BEN214E00000001", "created_at": now}])
    school_id = conn.scalar(select(School.id).where(School.code == "BEN214E00000001"))
    students = [
        {
            "sevis_id": f"N{first_sevis + i:010d}",
            "school_id": school_id,
            "surname": EXPORT_SURNAMES[i % len(EXPORT_SURNAMES)],
            "given_name": GIVEN[(i * 5) % len(GIVEN)],
            "email": f"export{i + 1}@bench.example.edu",
            "phone": f"212{i:07d}",
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for i in range(EXPORT_STUDENTS)
    ]
    _bulk(conn, Student.__table__, students)
    student_ids = list(conn.scalars(select(Student.id).where(Student.school_id == school_id).order_by(Student.id)))
    events = []
    # Appended as they happen (the events table is append-only): oldest first, so ids follow time as in production.
    ages = sorted((rng.randrange(730 * 24 * 3600) for _ in range(changes)), reverse=True)
    for number, age in enumerate(ages):
        student = student_ids[rng.randrange(len(student_ids))]
        event_type, kind, before, after = _export_change(number, student, rng)
        events.append(
            {
                "occurred_at": now - timedelta(seconds=age),
                "student_id": student,
                "school_id": school_id,
                "actor_kind": ActorKind.STUDENT,
                "actor_label": "Student",
                "event_type": event_type,
                "change_kind": ChangeKind(kind),
                "subject": f"student:{student}",
                "before": before,
                "after": after,
                "reported_late": number % 50 == 0,
                "changes": changes_text(before, after),
                "fields": field_changes(before, after),  # as record_event writes
            }
        )
        if len(events) >= 100_000:
            _bulk(conn, Event.__table__, events)
            events = []
    _bulk(conn, Event.__table__, events)
    _bulk(
        conn,
        User.__table__,
        [
            {
                "email": EXPORT_DSO_EMAIL,
                "role": Role.DSO,
                "school_id": school_id,
                "display_name": "Bench Export DSO",
                "password_hash": password_hash,
                "password_changed_at": now,
                "failed_sign_ins": 0,
                "lock_count": 0,
                "created_at": now,
                "mfa_enabled_at": now,
            },
        ],
    )
    dso_id = conn.scalar(select(User.id).where(User.email == EXPORT_DSO_EMAIL))
    conn.execute(
        update(User.__table__)
        .where(User.__table__.c.id == dso_id)
        .values(mfa_secret_encrypted=seal_secret(dso_id, BENCH_MFA_SECRET))
    )
    return {"export_changes": changes, "export_dso_email": EXPORT_DSO_EMAIL}


def seed(
    database_url: str,
    *,
    scale: float = 1.0,
    seed_value: int = 7,
    students_per_school: int = STUDENTS_PER_SCHOOL,
    export_changes: int = EXPORT_CHANGES,
    events: int | None = None,
    storm_students: int = 0,
) -> dict:
    rng = random.Random(seed_value)
    storm = set(storm_indexes(storm_students))
    n_students = max(20, int(20_000 * scale), max(storm, default=0) + 1)
    n_employers = max(50, int(50_000 * scale))
    n_events = max(500, int(500_000 * scale)) if events is None else max(events, 2000)
    today = date.today()
    now = datetime.now(timezone.utc)
    password_hash = hash_password(BENCH_PASSWORD)
    engine = create_engine(database_url)
    started = time.monotonic()
    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(School.__table__)):
            raise SystemExit("the database already has schools; bench seeds an empty one")
        n_schools = max(1, -(-n_students // students_per_school))
        _bulk(
            conn,
            School.__table__,
            [
                {"name": f"Bench University {i + 1}", "code": f"BEN214F{i + 1:08d}", "created_at": now}
                for i in range(n_schools)
            ],
        )
        school_ids = list(conn.scalars(select(School.id).order_by(School.id)))
        students = []
        for i in range(n_students):
            students.append(
                {
                    "sevis_id": f"N{i + 1:010d}",
                    "school_id": school_ids[i // students_per_school],
                    "surname": SURNAMES[i % len(SURNAMES)] + (f"-{i % 997}" if i % 3 else ""),
                    "given_name": GIVEN[(i * 7) % len(GIVEN)],
                    "email": f"student{i + 1}@bench.example.edu",
                    "phone": f"617{i % 10_000_000:07d}",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        _bulk(conn, Student.__table__, students)
        student_rows = conn.execute(select(Student.id, Student.school_id).order_by(Student.id)).all()
        _bulk(
            conn,
            ProgramRecord.__table__,
            [
                {
                    "student_id": sid,
                    "school_id": school,
                    "education_level": EducationLevel.MASTERS,
                    "major": "Data Science",
                    "status": ProgramStatus.ACTIVE,
                    "start_date": today - timedelta(days=700),
                    "end_date": today - timedelta(days=90),
                    "created_at": now,
                }
                for sid, school in student_rows
            ],
        )
        programs = conn.execute(select(ProgramRecord.id, ProgramRecord.student_id).order_by(ProgramRecord.id)).all()
        # OPT starts spread over about a year and a half, so every day of the daily sweep has its share of notices.
        _bulk(
            conn,
            OptAuthorization.__table__,
            [
                {
                    "program_record_id": pid,
                    "kind": OptKind.POST_COMPLETION,
                    "status": OptStatus.APPROVED,
                    "start_date": _opt_start(today, pid),
                    "end_date": _opt_start(today, pid) + timedelta(days=364),
                    "actual_start_date": _opt_start(today, pid),
                    "actual_end_date": _opt_start(today, pid) + timedelta(days=364),
                    # Requested three months before the start and approved a month before it, as real records are: an
                    # approval stamped today would make every student's account due today, and the daily sweep would
                    # read all of them.
                    "decided_at": _noon(_opt_start(today, pid) - timedelta(days=30)),
                    "created_at": _noon(_opt_start(today, pid) - timedelta(days=90)),
                    "version": 1,
                }
                for pid, _sid in programs
            ],
        )
        opt_start_by_student = {sid: _opt_start(today, pid) for pid, sid in programs}
        opt_by_student = dict(
            conn.execute(select(ProgramRecord.student_id, OptAuthorization.id).join(OptAuthorization)).all()
        )
        _bulk(
            conn,
            Address.__table__,
            [
                {
                    "student_id": sid,
                    "kind": AddressKind.PHYSICAL,
                    "line1": f"{sid % 999 + 1} Elm Street",
                    "line2": "",
                    "city": "Boston",
                    "state": "MA",
                    "postal_code": "02115",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for sid, _school in student_rows
            ],
        )
        student_ids = [sid for sid, _ in student_rows]
        employers = []
        for i in range(n_employers):
            sid = student_ids[i % len(student_ids)]
            employers.append(
                {
                    "student_id": sid,
                    "opt_authorization_id": opt_by_student[sid],
                    "name": EMPLOYERS[i % len(EMPLOYERS)],
                    "address_line1": f"{i % 900 + 1} Main Street",
                    "address_line2": "",
                    "city": "Boston",
                    "state": "MA",
                    "postal_code": "02110",
                    "ein": f"{100000000 + i % 899999999}",
                    "self_employed": False,
                    "course_relevance": "Applies my degree in data science.",
                    "employment_time": EmploymentTime.FULL_TIME,
                    "start_date": min(
                        today - timedelta(days=50), opt_start_by_student[sid] + timedelta(days=i * 13 % 120)
                    ),
                    "job_title": "Data Analyst",
                    "reported_late": False,
                    "review_status": "not_needed",
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
        _bulk(conn, Employer.__table__, employers)
        del employers
        _seed_timeline_marks(conn, student_ids)
        # The bench student (first one) has a long history: 2,000 of the events are theirs.
        school_of = dict(student_rows)
        events = []
        span = 730 * 24 * 3600
        phone_before, phone_after = {"phone": "6175550100"}, {"phone": "6175550101"}
        phone_changes = changes_text(phone_before, phone_after)  # as record_event writes it
        phone_fields = field_changes(phone_before, phone_after)
        for i in range(n_events):
            sid = student_ids[0] if i < 2000 else student_ids[rng.randrange(len(student_ids))]
            event_type, kind = EVENT_TYPES[i % len(EVENT_TYPES)]
            events.append(
                {
                    "occurred_at": now - timedelta(seconds=rng.randrange(span)),
                    "student_id": sid,
                    "school_id": school_of[sid],
                    "actor_kind": ActorKind.STUDENT,
                    "actor_label": "Student",
                    "event_type": event_type,
                    "change_kind": ChangeKind(kind) if kind else None,
                    "subject": f"student:{sid}",
                    "before": phone_before,
                    "after": phone_after,
                    "reported_late": False,
                    "changes": phone_changes if kind else None,
                    "fields": phone_fields if kind else None,
                }
            )
            if len(events) >= 100_000:
                _bulk(conn, Event.__table__, events)
                events = []
        _bulk(conn, Event.__table__, events)
        bench_student_id = student_ids[0]
        first_school = school_ids[0]
        _bulk(
            conn,
            User.__table__,
            [
                {
                    "email": "student1@bench.example.edu",
                    "role": Role.STUDENT,
                    "student_id": bench_student_id,
                    "display_name": "Bench Student",
                    "password_hash": password_hash,
                    "password_changed_at": now,
                    "failed_sign_ins": 0,
                    "lock_count": 0,
                    "created_at": now,
                },
                {
                    "email": "dso@bench.example.edu",
                    "role": Role.DSO,
                    "school_id": first_school,
                    "display_name": "Bench DSO",
                    "password_hash": password_hash,
                    "password_changed_at": now,
                    "failed_sign_ins": 0,
                    "lock_count": 0,
                    "created_at": now,
                    "mfa_enabled_at": now,
                },
            ],
        )
        # The secret is stored encrypted and bound to the row, so it is written once the row has its id.
        dso_id = conn.scalar(select(User.id).where(User.email == "dso@bench.example.edu"))
        conn.execute(
            update(User.__table__)
            .where(User.__table__.c.id == dso_id)
            .values(mfa_secret_encrypted=seal_secret(dso_id, BENCH_MFA_SECRET))
        )
        # Every other student has an account too: the storm's with the bench password, the rest with none (account
        # creation pending).
        _bulk(
            conn,
            User.__table__,
            [
                {
                    "email": f"student{i + 1}@bench.example.edu",
                    "role": Role.STUDENT,
                    "student_id": sid,
                    "display_name": "",
                    "password_hash": password_hash if i in storm else None,
                    "password_changed_at": now if i in storm else None,
                    "failed_sign_ins": 0,
                    "lock_count": 0,
                    "created_at": now,
                }
                for i, sid in enumerate(student_ids)
                if sid != bench_student_id
            ],
        )
        if storm_students:
            _seed_storm_history(conn, storm_students, now=now)
        exports = {"export_changes": 0}
        if export_changes:
            exports = seed_export_school(
                conn, changes=export_changes, first_sevis=n_students + 1, now=now, password_hash=password_hash, rng=rng
            )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return {
        "students": n_students,
        "employers": n_employers,
        "events": n_events,
        "schools": len(school_ids),
        "seconds": round(time.monotonic() - started, 1),
        "password": BENCH_PASSWORD,
        "mfa_secret": BENCH_MFA_SECRET,
        "student_email": "student1@bench.example.edu",
        "student_sevis_id": "N0000000001",
        "dso_email": "dso@bench.example.edu",
        "search": SURNAMES[3],
        "storm_students": storm_students,
        **exports,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--students-per-school", type=int, default=STUDENTS_PER_SCHOOL)
    parser.add_argument(
        "--export-changes", type=int, default=EXPORT_CHANGES, help="the export school's changes (0: no export school)"
    )
    parser.add_argument("--events", type=int, default=None, help="how many events (default: 500,000 x scale)")
    parser.add_argument(
        "--storm-students",
        type=int,
        default=0,
        help="students with the bench password and a full history (bench.storm)",
    )
    args = parser.parse_args()
    with create_app().app_context():  # password hashing reads the app's argon2 settings
        summary = seed(
            os.environ["DATABASE_URL"],
            scale=args.scale,
            students_per_school=args.students_per_school,
            export_changes=args.export_changes,
            events=args.events,
            storm_students=args.storm_students,
        )
    json.dump(summary, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
