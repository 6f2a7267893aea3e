"""Seed what the browser flows need into the database named by DATABASE_URL; print it as JSON.

Run by the browser harness as ``python -m tests.browser.seed`` after ``portal db upgrade``,
in its own process so that the app reads its configuration from the environment exactly
as gunicorn does. Every account it makes has the password ``PASSWORD``.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta

from flask import current_app

from portal import create_app
from portal.extensions import db
from portal.models import ProblemReport, utcnow
from portal.models.enums import EmployerReview, ObligationKind, Role
from portal.services.actors import Actor
from portal.services.clock import add_months, long_date, today_eastern
from portal.services.mfa import store_secret
from portal.services.obligations import add_obligation, sync_stem_obligations
from portal.services.opt_decisions import approve_opt
from tests.support.factories import MFA_TEST_SECRET, PASSWORD, Factory
from tests.support.files import PNG, pdf


def seed(session) -> dict:
    """Two schools, a signed-up student with an employer, officials of each role, support, operator."""
    factory = Factory(session)
    school = factory.school(name="Browser Test University", code="BRW214F00000001")
    other_school = factory.school(name="Other Test College", code="BRW214F00000002")
    student = factory.student(
        school=school, sevis_id="N0000000101", surname="Okafor", given_name="Chidi", email="chidi@browser.example.edu"
    )
    student_user = factory.user(role=Role.STUDENT, student=student)
    factory.employer(student, name="Riverbend Robotics Inc")
    other_student = factory.student(
        school=other_school, sevis_id="N0000000202", surname="Silva", given_name="Ana", email="ana@other.example.edu"
    )
    other_user = factory.user(role=Role.STUDENT, student=other_student)
    dso = factory.user(role=Role.DSO, school=school, email="dso@browser.example.edu")
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=school, email="pdso@browser.example.edu")
    support = factory.user(role=Role.SUPPORT, email="support@browser.example.org")
    operator = factory.user(role=Role.OPERATOR, email="operator@browser.example.org")
    for official in (dso, principal, support, operator):
        # Every official signs in with a TOTP code from this known secret (tests compute it with pyotp).
        store_secret(session, official, MFA_TEST_SECRET)
        official.mfa_enabled_at = utcnow()
    session.flush()
    fresh = _fresh_students(factory, school, dso)
    return {
        "fresh": fresh,
        "keyboard_obligations": _obligations_for_the_keyboard_check(factory, school),
        "keyboard_student": _students_for_the_keyboard_runs(factory, school),
        "closed_student": _student_whose_access_has_closed(factory),
        "counter": _student_with_unemployment_days(factory, school),
        "lost_phone": _students_with_two_step_verification(factory, school),
        "stem": _stem_students_with_a_confirmation_open(factory, school),
        "stem_review": _stem_employers_waiting_for_review(factory, school),
        "problem": _problem_report_with_a_screenshot(factory, other_school),
        "password": PASSWORD,
        "mfa_secret": MFA_TEST_SECRET,
        "school": {"id": school.id, "code": school.code},
        "student": {"email": student_user.email, "sevis_id": student.sevis_id, "id": student.id},
        "other_student": {"email": other_user.email, "sevis_id": other_student.sevis_id, "id": other_student.id},
        "users": {
            "student": student_user.email,
            "dso": dso.email,
            "principal_dso": principal.email,
            "support": support.email,
            "operator": operator.email,
        },
    }


def _fresh_students(factory, school, dso) -> dict:
    """One student per viewport whose OPT a DSO has just approved: the account-creation email is queued."""
    fresh = {}
    for number, (size, given, surname) in enumerate([("phone", "Linh", "Haddad"), ("desktop", "Piotr", "Tanaka")]):
        student = factory.student(
            school=school,
            sevis_id=f"N00000009{number:02d}",
            surname=surname,
            given_name=given,
            email=f"{given.lower()}@browser.example.edu",
            opt="pending",
        )
        opt = student.program_records[-1].opt_authorizations[0]
        approve_opt(
            factory.session,
            opt,
            actor=Actor.for_user(dso),
            actual_start_date=opt.start_date,
            actual_end_date=opt.end_date,
        )
        fresh[size] = {
            "sevis_id": student.sevis_id,
            "email": student.email,
            "surname": surname,
            "name": f"{given} {surname}",
        }
    factory.session.flush()
    return fresh


def _obligations_for_the_keyboard_check(factory, school) -> dict:
    """One address-change obligation per viewport, far in the future, for the keyboard test to mark complete."""
    obligations = {}
    for number, (size, given, surname) in enumerate([("phone", "Zara", "Lindqvist"), ("desktop", "Omar", "Castillo")]):
        student = factory.student(
            school=school,
            sevis_id=f"N00000004{number:02d}",
            surname=surname,
            given_name=given,
            email=f"{given.lower()}@browser.example.edu",
        )
        obligation = add_obligation(
            factory.session,
            student,
            kind=ObligationKind.ADDRESS_CHANGE,
            due_on=today_eastern() + timedelta(days=300 + number),
            description="Record the new address in SEVIS",
        )
        obligations[size] = {"id": obligation.id, "name": f"{given} {surname}", "due_on": obligation.due_on.isoformat()}
    factory.session.flush()
    return obligations


def _students_for_the_keyboard_runs(factory, school) -> dict:
    """A signed-up student with an employer and an address, and a STEM student with the 6-month confirmation open,
    for the keyboard-only runs (their own, so other flows' data stays as it was)."""
    student = factory.student(
        school=school, sevis_id="N0000001001", surname="Varga", given_name="Mateo", email="mateo@browser.example.edu"
    )
    user = factory.user(role=Role.STUDENT, student=student)
    employer = factory.employer(student, name="Lakeside Optics Inc")
    factory.address(student, line1="12 Pine Street", city="Boston")
    stem_start = add_months(today_eastern(), -6)
    stem_student = factory.student(
        school=school,
        sevis_id="N0000001002",
        surname="Kaur",
        given_name="Simran",
        email="simran@browser.example.edu",
        opt_start=stem_start - timedelta(days=365),
        opt_end=stem_start - timedelta(days=1),
    )
    factory.stem_opt(stem_student, start=stem_start)
    factory.address(stem_student, line1="8 Harbor Street", city="Boston")
    stem_user = factory.user(role=Role.STUDENT, student=stem_student)
    sync_stem_obligations(factory.session, stem_student, actor=Actor.system("Browser seed"))
    factory.session.flush()
    return {"email": user.email, "employer": employer.name, "stem": {"email": stem_user.email, "name": "Simran Kaur"}}


def _student_whose_access_has_closed(factory) -> dict:
    """A student of a school of their own whose OPT ended in 2023: read-only until June 30, 2024, closed since."""
    school = factory.school(name="Closed Access Institute", code="BRW214F00000003")
    student = factory.student(
        school=school,
        sevis_id="N0000000303",
        surname="Moreau",
        given_name="Elise",
        email="elise@closed.example.edu",
        opt_start=date(2023, 1, 1),
        opt_end=date(2023, 12, 31),
        today=date(2024, 1, 1),
    )
    user = factory.user(role=Role.STUDENT, student=student)
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=school, email="rosa.principal@closed.example.edu")
    principal.display_name = "Rosa Alvarez"
    factory.session.flush()
    return {
        "email": user.email,
        "school": school.name,
        "official": {"name": principal.display_name, "email": principal.email},
    }


def _student_with_unemployment_days(factory, school) -> dict:
    """A student 40 days into the OPT who worked 10 of them: 30 of 90 unemployment days used, 60 left."""
    today = today_eastern()
    student = factory.student(
        school=school,
        sevis_id="N0000000707",
        surname="Moreau",
        given_name="Elise",
        email="elise@browser.example.edu",
        opt_start=today - timedelta(days=39),
        today=today,
    )
    factory.employer(
        student,
        name="Harbor Freight Analytics",
        start_date=today - timedelta(days=29),
        end_date=today - timedelta(days=20),
    )
    user = factory.user(role=Role.STUDENT, student=student)
    return {
        "sevis_id": student.sevis_id,
        "name": "Moreau, Elise",
        "allowed": "90",
        "used": "30",
        "remaining": "60",
        "runs_out": f"{today + timedelta(days=60):%m/%d/%Y}",
        "email": user.email,
        "runs_out_long": long_date(today + timedelta(days=60)),
    }


def _students_with_two_step_verification(factory, school) -> dict:
    """One signed-up student per viewport with two-step verification on (the known secret), for a DSO to turn off."""
    students = {}
    for number, (size, given, surname) in enumerate([("phone", "Amara", "Mensah"), ("desktop", "Jonas", "Lindqvist")]):
        student = factory.student(
            school=school,
            sevis_id=f"N00000008{number:02d}",
            surname=surname,
            given_name=given,
            email=f"{given.lower()}@browser.example.edu",
        )
        user = factory.user(role=Role.STUDENT, student=student)
        store_secret(factory.session, user, MFA_TEST_SECRET)
        user.mfa_enabled_at = utcnow()
        students[size] = {"sevis_id": student.sevis_id, "email": user.email, "name": f"{given} {surname}"}
    factory.session.flush()
    return students


def _stem_students_with_a_confirmation_open(factory, school) -> dict:
    """One signed-up student per viewport six months into STEM OPT: the 6-month confirmation is open (rule 15)."""
    students = {}
    stem_start = add_months(today_eastern(), -6)
    for number, (size, given, surname) in enumerate([("phone", "Noor", "Rahimi"), ("desktop", "Tomas", "Ferreira")]):
        student = factory.student(
            school=school,
            sevis_id=f"N00000007{number:02d}",
            surname=surname,
            given_name=given,
            email=f"{given.lower()}@browser.example.edu",
            opt_start=stem_start - timedelta(days=365),
            opt_end=stem_start - timedelta(days=1),
        )
        factory.stem_opt(student, start=stem_start)
        factory.address(student, line1=f"{20 + number} Harbor Street", city="Boston")
        user = factory.user(role=Role.STUDENT, student=student)
        sync_stem_obligations(factory.session, student, actor=Actor.system("Browser seed"))
        students[size] = {"sevis_id": student.sevis_id, "email": user.email, "name": f"{given} {surname}"}
    factory.session.flush()
    return students


def _upload_dir() -> str:
    return current_app.config["UPLOAD_DIR"]


def _stem_employers_waiting_for_review(factory, school) -> dict:
    """One signed-up STEM student per viewport whose employer waits for the DSO's review with its Form I-983."""
    students = {}
    stem_start = add_months(today_eastern(), -2)
    for number, (size, given, surname) in enumerate([("phone", "Ines", "Duarte"), ("desktop", "Kofi", "Asante")]):
        student = factory.student(
            school=school,
            sevis_id=f"N00000006{number:02d}",
            surname=surname,
            given_name=given,
            email=f"{given.lower()}@browser.example.edu",
            opt_start=add_months(stem_start, -12),
            opt_end=stem_start - timedelta(days=1),
        )
        stem = factory.stem_opt(student, start=stem_start)
        user = factory.user(role=Role.STUDENT, student=student)
        employer = factory.employer(
            student,
            opt_authorization=stem,
            start_date=stem_start,
            name=f"Quanta Labs {size.title()}",
            review_status=EmployerReview.WAITING,
        )
        factory.document(
            student, upload_dir=_upload_dir(), data=pdf(), filename=f"quanta-i983-{size}.pdf", employer_id=employer.id
        )
        students[size] = {
            "sevis_id": student.sevis_id,
            "email": user.email,
            "name": f"{given} {surname}",
            "employer": employer.name,
            "i983": f"quanta-i983-{size}.pdf",
        }
    factory.session.flush()
    return students


def _problem_report_with_a_screenshot(factory, school) -> dict:
    """A student of the other school who reported a problem with a screenshot (support finds them by name)."""
    student = factory.student(
        school=school, sevis_id="N0000000505", surname="Nakamura", given_name="Hiro", email="hiro@other.example.edu"
    )
    report = ProblemReport(
        student_id=student.id,
        reporter_name=student.full_name,
        sevis_id=student.sevis_id,
        description="My employer disappeared after I saved it.",
    )
    factory.session.add(report)
    factory.session.flush()
    factory.document(
        student,
        upload_dir=_upload_dir(),
        kind="screenshot",
        data=PNG,
        content_type="image/png",
        filename="employers-page.png",
        problem_report_id=report.id,
    )
    return {
        "sevis_id": student.sevis_id,
        "name": "Hiro Nakamura",
        "surname": "Nakamura",
        "description": report.description,
        "screenshot": "employers-page.png",
    }


def main() -> int:
    app = create_app()
    with app.app_context():
        data = seed(db.session)
        db.session.commit()
    json.dump(data, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
