"""Factories for tests: build valid records with one call, overriding only what a test is about."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import object_session

from portal.models import AccountLink, Address, Document, Employer, OptAuthorization, School, Student, User, utcnow
from portal.models.enums import AddressKind, DocumentKind, EducationLevel, EmploymentTime, OptKind, OptStatus, Role
from portal.services.account_links import link_token
from portal.services.actors import Actor
from portal.services.mfa import mfa_required, secret_of, store_secret
from portal.services.passwords import hash_password
from portal.services.students import create_student, open_program_record, request_opt
from portal.services.uploads import store_bytes

PASSWORD = "a long enough test password"
_sequence = itertools.count(1)


class Factory:
    """Builds records in the test's session. Every method flushes and returns the new object."""

    def __init__(self, session) -> None:
        self.session = session
        self.system = Actor.system("Test factory")

    def school(self, *, name: str | None = None, code: str | None = None) -> School:
        number = next(_sequence)
        school = School(name=name or f"Test University {number}", code=code or f"TST214F{number:08d}")
        self.session.add(school)
        self.session.flush()
        return school

    def student(
        self,
        *,
        school: School | None = None,
        sevis_id: str | None = None,
        surname: str = "Tester",
        given_name: str = "Terry",
        email: str | None = None,
        opt: str | None = "approved",
        opt_kind: OptKind = OptKind.POST_COMPLETION,
        opt_start: date | None = None,
        opt_end: date | None = None,
        actual_start: date | None = None,
        actual_end: date | None = None,
        today: date | None = None,
    ) -> Student:
        """A student with an active program record and, unless ``opt=None``, an OPT in status ``opt``.

        An approved OPT's EAD dates are the requested ones unless ``actual_start``/``actual_end`` say otherwise."""
        number = next(_sequence)
        today = today or date.today()
        school = school or self.school()
        student = create_student(
            self.session,
            self.system,
            school=school,
            sevis_id=sevis_id or f"N{number:010d}",
            surname=surname,
            given_name=given_name,
            email=email or f"student{number}@example.edu",
        )
        program = open_program_record(
            self.session,
            self.system,
            student,
            education_level=EducationLevel.MASTERS,
            start_date=today - timedelta(days=700),
            end_date=today - timedelta(days=60),
        )
        if opt is not None:
            start = opt_start or today - timedelta(days=30)
            authorization = request_opt(
                self.session,
                self.system,
                program,
                kind=opt_kind,
                start_date=start,
                end_date=opt_end or start + timedelta(days=364),
            )
            # Filed three months before the start, decided by the start (or today when that is earlier), so the
            # timeline's "timely" and "approved on" read as a real record would.
            authorization.created_at = _noon(min(start, today) - timedelta(days=90))
            _decide(authorization, opt, actual_start, actual_end, decided_on=min(start, today))
        self.session.flush()
        return student

    def user(
        self,
        *,
        role: Role = Role.DSO,
        school: School | None = None,
        student: Student | None = None,
        email: str | None = None,
        password: str | None = PASSWORD,
    ) -> User:
        number = next(_sequence)
        if role in (Role.DSO, Role.PRINCIPAL_DSO) and school is None:
            school = self.school()
        if role is Role.STUDENT and student is None:
            student = self.student(school=school)
        user = User(
            email=email or (student.email if student else f"{role.value}{number}@example.org"),
            role=role,
            school_id=school.id if school and role is not Role.STUDENT else None,
            student_id=student.id if student else None,
            display_name=f"{role.value.title()} {number}",
            password_hash=hash_password(password) if password else None,
            password_changed_at=utcnow() if password else None,
        )
        self.session.add(user)
        self.session.flush()
        return user

    def employer(self, student: Student, **overrides) -> Employer:
        opt = (
            student.program_records[-1].opt_authorizations[0]
            if student.program_records[-1].opt_authorizations
            else None
        )
        values = dict(
            student=student,
            opt_authorization=opt,
            name="Acme Analytics LLC",
            address_line1="1 Main Street",
            city="Boston",
            state="MA",
            postal_code="02110",
            ein="123456789",
            course_relevance="Applies my degree in data science.",
            employment_time=EmploymentTime.FULL_TIME,
            start_date=(opt.start_date if opt else date.today()),
            job_title="Data Analyst",
        )
        values.update(overrides)
        employer = Employer(**values)
        self.session.add(employer)
        self.session.flush()
        return employer

    def document(
        self,
        student: Student,
        *,
        upload_dir: str,
        kind: str = "i983",
        data: bytes | None = None,
        content_type: str = "application/pdf",
        filename: str = "form-i983.pdf",
        **links,
    ) -> Document:
        """A stored upload of ``student`` (bytes written under ``upload_dir``); ``links`` set employer_id,
        problem_report_id or obligation_id."""
        data = data if data is not None else b"%PDF-1.7\n%%EOF\n"
        stored_name, digest = store_bytes(upload_dir, data)
        document = Document(
            student_id=student.id,
            kind=DocumentKind(kind),
            original_filename=filename,
            stored_name=stored_name,
            content_type=content_type,
            size_bytes=len(data),
            sha256=digest,
            **links,
        )
        self.session.add(document)
        self.session.flush()
        return document

    def stem_opt(
        self,
        student: Student,
        *,
        status: str = "approved",
        start: date | None = None,
        days: int = 729,
        actual_start: date | None = None,
        actual_end: date | None = None,
    ) -> OptAuthorization:
        """A STEM OPT on the student's current program, starting the day after the post-completion OPT ends (EAD dates
        as for ``student``)."""
        program = student.program_records[-1]
        start = start or program.opt_authorizations[0].end_date + timedelta(days=1)
        stem = request_opt(
            self.session,
            self.system,
            program,
            kind=OptKind.STEM,
            start_date=start,
            end_date=start + timedelta(days=days),
        )
        stem.created_at = _noon(start - timedelta(days=60))  # filed in time: before the post-completion end
        _decide(stem, status, actual_start, actual_end, decided_on=start - timedelta(days=30))
        self.session.flush()
        return stem

    def address(
        self,
        student: Student,
        *,
        kind: str = "physical",
        line1: str = "12 Main Street",
        city: str = "Boston",
        state: str = "MA",
        postal_code: str = "02110",
    ) -> Address:
        address = Address(
            student=student,
            student_id=student.id,
            kind=AddressKind(kind),
            line1=line1,
            city=city,
            state=state,
            postal_code=postal_code,
        )
        self.session.add(address)
        self.session.flush()
        return address


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _decide(
    authorization: OptAuthorization,
    status: str,
    actual_start: date | None = None,
    actual_end: date | None = None,
    *,
    decided_on: date,
) -> None:
    """Put an OPT in ``status``, with a decision time unless it is still pending; an approved one gets EAD dates
    (the requested ones by default), a pending or denied one none."""
    authorization.status = OptStatus(status)
    if authorization.status is not OptStatus.PENDING:
        authorization.decided_at = _noon(decided_on)
    if authorization.status is OptStatus.APPROVED:
        authorization.actual_start_date = actual_start or authorization.start_date
        authorization.actual_end_date = actual_end or authorization.end_date


@pytest.fixture
def factory(db_session) -> Factory:
    return Factory(db_session)


@pytest.fixture
def sign_in(client):
    """Sign a user in through the real pages and finish every step (MFA code, attestation); returns the client.

    An official without MFA gets the known secret MFA_TEST_SECRET first. The returned client also
    answers ``status_code``/``headers``/``location`` of the sign-in response itself (303 on success),
    which is kept as ``.sign_in_response``.
    """

    def _sign_in(user: User, password: str = PASSWORD):
        if mfa_required(user) and user.mfa_enabled_at is None:
            store_secret(object_session(user), user, MFA_TEST_SECRET)
            user.mfa_enabled_at = utcnow()
            object_session(user).flush()
        response = client.post("/", data={"email": user.email, "password": password})
        client.sign_in_response = response
        signed_in = SignedInClient(client, response)
        if response.status_code != 303:
            return signed_in
        if user.mfa_enabled_at is not None:
            user.mfa_last_step = None  # a test may sign the same official in twice within 30 seconds
            object_session(user).flush()
            client.post("/mfa/verify", data={"code": pyotp.TOTP(secret_of(user)).now()})
        if user.role is Role.STUDENT:
            client.post("/attestation", data={"accept": "y"})
        return signed_in

    return _sign_in


class SignedInClient:
    """The test client after ``sign_in``; reads like the sign-in response for status_code, headers and location."""

    _FROM_RESPONSE = frozenset({"status_code", "headers", "location", "data"})

    def __init__(self, client, response) -> None:
        self._client = client
        self.sign_in_response = response

    def __getattr__(self, name):
        if name in self._FROM_RESPONSE:
            return getattr(self.sign_in_response, name)
        return getattr(self._client, name)


MFA_TEST_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def latest_link_token(session, user, purpose=None) -> str:
    """The emailed token of ``user``'s newest one-time link (recomputed, as the email worker does)."""
    query = select(AccountLink).where(AccountLink.user_id == user.id)
    if purpose is not None:
        query = query.where(AccountLink.purpose == purpose)
    return link_token(session.scalars(query.order_by(AccountLink.id.desc())).first())


def employer_form_data(**overrides) -> dict:
    """What a student enters for a valid full-time job (the employer service's input), with ``overrides``."""
    data = {
        "name": "Acme Analytics LLC",
        "address_line1": "1 Main Street",
        "address_line2": "",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "ein": "12-3456789",
        "course_relevance": "I analyse data, as in my degree.",
        "employment_time": "full_time",
        "employment_type": "paid_employee",
        "start_date": "2026-02-25",
        "end_date": "",
        "supervisor_first_name": "Ada",
        "supervisor_last_name": "Lovelace",
        "supervisor_phone": "(617) 555-0100",
        "supervisor_phone_ext": "12",
        "supervisor_email": "Ada@Example.com",
        "job_title": "Data Analyst",
    }
    data.update(overrides)
    return data
