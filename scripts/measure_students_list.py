"""Measure the DSO students list on a school of 20,000 students (issue 5, point 10).

    .venv/bin/python scripts/measure_students_list.py [--students 20000] [--database-url sqlite:////tmp/x.db]

Builds a throwaway database (bulk inserts, not the services, so it takes seconds), then times the
students page through the test client: the first page, a name search, a filter, and the alerts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pyotp
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # portal and tests.support.postgres, run by path

from portal import create_app  # noqa: E402
from portal.config import TestConfig  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Base, Employer, OptAuthorization, ProgramRecord, School, Student, User, utcnow  # noqa: E402
from portal.models.enums import EducationLevel, EmploymentTime, OptKind, OptStatus, Role  # noqa: E402
from portal.services.mfa import store_secret  # noqa: E402
from portal.services.passwords import hash_password  # noqa: E402
from tests.support.postgres import PostgresServer, find_pg_bin  # noqa: E402

PASSWORD = "a long enough measuring password"  # noqa: S105 (a throwaway database)
MFA_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (a throwaway database)


def build(session, students: int):
    school = School(name="Big State University", code="BIG214F00000001")
    other = School(name="Other", code="OTH214F00000001")
    session.add_all([school, other])
    session.flush()
    today = date.today()
    surnames = ["Nguyen", "Patel", "Kim", "Garcia", "Chen", "Okafor", "Silva", "Haddad", "Kowalski", "Tanaka"]
    for start in range(0, students, 2000):
        batch = []
        for number in range(start, min(start + 2000, students)):
            batch.append(
                Student(
                    school_id=school.id,
                    sevis_id=f"N{number:010d}",
                    surname=f"{surnames[number % 10]}{number}",
                    given_name="Test",
                    email=f"s{number}@example.edu",
                )
            )
        session.add_all(batch)
        session.flush()
        programs = [
            ProgramRecord(
                student_id=s.id,
                school_id=school.id,
                education_level=EducationLevel.MASTERS,
                start_date=today - timedelta(days=700),
                end_date=today - timedelta(days=60),
            )
            for s in batch
        ]
        session.add_all(programs)
        session.flush()
        opts = [
            OptAuthorization(
                program_record_id=p.id,
                kind=OptKind.POST_COMPLETION,
                status=OptStatus.APPROVED,
                start_date=today - timedelta(days=90),
                end_date=today + timedelta(days=270),
                actual_start_date=today - timedelta(days=90),
                actual_end_date=today + timedelta(days=270),
            )
            for p in programs
        ]
        session.add_all(opts)
        session.flush()
        session.add_all(
            [
                Employer(
                    student_id=s.id,
                    opt_authorization_id=o.id,
                    name=f"Employer {i % 50}",
                    address_line1="1 Main",
                    city="Boston",
                    state="MA",
                    postal_code="02110",
                    course_relevance="x",
                    employment_time=EmploymentTime.FULL_TIME,
                    start_date=o.start_date,
                )
                for i, (s, o) in enumerate(zip(batch, opts, strict=True))
                if i % 3
            ]
        )
        session.add_all([User(email=s.email, role=Role.STUDENT, student_id=s.id) for s in batch[::2]])
        session.flush()
    dso = User(
        email="dso@big.example.edu",
        role=Role.DSO,
        school_id=school.id,
        display_name="DSO",
        password_hash=hash_password(PASSWORD),
        password_changed_at=utcnow(),
        mfa_enabled_at=utcnow(),
    )
    session.add(dso)
    store_secret(session, dso, MFA_SECRET)
    session.commit()
    session.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
    session.commit()
    return dso


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL 15 (as the tests do)")
    args = parser.parse_args()
    server = None
    if args.postgres:
        server = PostgresServer(find_pg_bin())
        server.start()
        url = server.create_database("measure")
    else:
        url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/measure.db"
    try:
        run(args, url)
    finally:
        if server is not None:
            server.stop()


def run(args, url: str) -> None:
    class MeasureConfig(TestConfig):
        DATABASE_URL = url

    app = create_app(MeasureConfig)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        started = time.perf_counter()
        build(db.session, args.students)
        print(f"built {args.students} students in {time.perf_counter() - started:.1f} s on {db.engine.dialect.name}")

    cases = {
        "first page (25, with alerts)": "/admin/students",
        "page 400 of 800": "/admin/students?page=400",
        "name search": "/admin/students?q=okafor1234",
        "SEVIS ID": "/admin/students?q=N0000012345",
        "employer search": "/admin/students?q=employer%207",
        "no current employer": "/admin/students?no_employer=1",
        "100 rows sorted by email desc": "/admin/students?per_page=100&sort=email&dir=desc",
        "htmx: name search (results only)": ("/admin/students?q=okafor1234", True),
        "htmx: page 400 (results only)": ("/admin/students?page=400", True),
        "htmx: no current employer": ("/admin/students?no_employer=1", True),
    }
    with app.app_context():
        with app.test_client() as client:
            client.post("/", data={"email": "dso@big.example.edu", "password": PASSWORD})
            client.post("/mfa/verify", data={"code": pyotp.TOTP(MFA_SECRET).now()})
            for label, case in cases.items():
                path, partial = case if isinstance(case, tuple) else (case, False)
                headers = {"HX-Request": "true"} if partial else {}
                client.get(path, headers=headers)  # warm up
                times = []
                for _ in range(args.runs):
                    started = time.perf_counter()
                    response = client.get(path, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                print(f"{label:<34} median {statistics.median(times):6.1f} ms   max {max(times):6.1f} ms")


if __name__ == "__main__":
    main()
