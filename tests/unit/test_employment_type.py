"""Employment type: SEVP's kinds of OPT employment, stored, checked (STEM allows only some), received and exported."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Document, Employer, Event, OutboxEmail
from portal.models.enums import ChangeKind, DocumentKind, EmploymentType, Role
from portal.services.actors import Actor
from portal.services.change_list_files import change_list_csv
from portal.services.change_lists import change_rows, resolve_range
from portal.services.employers import add_employer, update_employer
from portal.services.errors import InvalidValue, RuleBroken
from portal.services.feed.parsing import parse_batch
from portal.services.feed.receiving import receive_batch
from tests.support.factories import employer_form_data as valid
from tests.unit.conftest import TODAY


@pytest.mark.parametrize("kind", list(EmploymentType))
def test_every_kind_sevp_accepts_is_stored_on_post_completion_opt_and_self_employed_follows_it(
    db_session, student, actor, kind
):
    employer = add_employer(db_session, student, valid(employment_type=kind.value), actor=actor, today=TODAY)
    assert employer.employment_type is kind
    assert employer.self_employed is (kind is EmploymentType.SELF_EMPLOYED)
    event = db_session.scalar(select(Event).where(Event.subject == f"employer:{employer.id}"))
    assert event.after["employment_type"] == kind.value


@pytest.mark.parametrize("raw", ["", "  ", "freelance", "PAID_EMPLOYEE", 3])
def test_an_unknown_type_is_refused_on_its_field(db_session, student, actor, raw):
    with pytest.raises(InvalidValue, match="Choose the kind of employment") as error:
        add_employer(db_session, student, valid(employment_type=raw), actor=actor, today=TODAY)
    assert error.value.field == "employment_type"


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        (None, EmploymentType.PAID_EMPLOYEE),
        (False, EmploymentType.PAID_EMPLOYEE),
        ("Y", EmploymentType.SELF_EMPLOYED),
        (True, EmploymentType.SELF_EMPLOYED),
    ],
)
def test_a_caller_without_a_type_gets_paid_employee_or_self_employed_by_the_flag(
    db_session, student, dso, flag, expected
):
    data = valid(self_employed=flag) if flag is not None else valid()
    del data["employment_type"]
    employer = add_employer(db_session, student, data, actor=dso, today=TODAY)
    assert employer.employment_type is expected


def test_a_self_employed_flag_that_contradicts_the_type_is_refused_on_the_type(db_session, student, dso):
    with pytest.raises(InvalidValue, match="marked self-employed") as error:
        add_employer(db_session, student, valid(self_employed=True, employment_type="unpaid"), actor=dso, today=TODAY)
    assert error.value.field == "employment_type"


def _stem_student(factory):
    student = factory.student(opt_start=date(2024, 1, 1), opt_end=date(2024, 12, 31), today=TODAY)
    factory.stem_opt(student, status="approved")
    return student


def _i983(db_session, student):
    document = Document(
        student_id=student.id,
        kind=DocumentKind.I983,
        original_filename="i983.pdf",
        stored_name="f" * 48,
        content_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
    )
    db_session.add(document)
    db_session.flush()
    return document


STEM_CASES = [
    (EmploymentType.PAID_EMPLOYEE, True),
    (EmploymentType.AGENCY_OR_CONTRACT, True),
    (EmploymentType.SELF_EMPLOYED, False),
    (EmploymentType.UNPAID, False),
    (EmploymentType.SHORT_TERM, False),
]


@pytest.mark.parametrize(("kind", "allowed"), STEM_CASES)
def test_stem_opt_allows_only_a_paid_job_under_an_employer(db_session, factory, kind, allowed):
    student = _stem_student(factory)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    data = valid(employment_type=kind.value, start_date="2025-02-01", i983_document=_i983(db_session, student))
    if allowed:
        assert add_employer(db_session, student, data, actor=actor, today=TODAY).employment_type is kind
        return
    with pytest.raises(RuleBroken, match="not allowed on STEM OPT") as error:
        add_employer(db_session, student, data, actor=actor, today=TODAY)
    assert error.value.field == "employment_type"
    assert db_session.scalar(select(Employer.id).where(Employer.student_id == student.id)) is None


def test_a_dso_cannot_change_a_stem_employer_to_a_kind_stem_does_not_allow(db_session, factory):
    student = _stem_student(factory)
    dso = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    stem = student.program_records[-1].opt_authorizations[-1]
    employer = factory.employer(student, opt_authorization=stem, start_date=stem.start_date)
    with pytest.raises(RuleBroken, match="Volunteer or unpaid intern is not allowed on STEM OPT"):
        update_employer(
            db_session,
            employer,
            {"employment_type": "unpaid"},
            actor=dso,
            expected_version=employer.version,
            today=TODAY,
        )
    assert employer.employment_type is EmploymentType.PAID_EMPLOYEE


def test_a_change_of_type_is_an_event_a_receipt_line_and_a_change_list_row_in_words(
    db_session, factory, student, actor, dso
):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    update_employer(
        db_session,
        employer,
        {"employment_type": "self_employed"},
        actor=actor,
        expected_version=employer.version,
        today=TODAY,
    )
    assert employer.self_employed is True
    event = db_session.scalars(select(Event).where(Event.event_type == "employer.updated").order_by(Event.id)).one()
    assert (event.before["employment_type"], event.after["employment_type"]) == ("paid_employee", "self_employed")
    assert (event.before["self_employed"], event.after["self_employed"]) == (False, True)  # for the SEVIS batch
    receipts = db_session.scalars(
        select(OutboxEmail.body_text)
        .where(OutboxEmail.template == "report_receipt", OutboxEmail.student_id == student.id)
        .order_by(OutboxEmail.id)
    ).all()
    assert "Employment type: Paid employee" in receipts[0]
    assert "Employment type: Paid employee → Self-employed business owner" in receipts[1]
    official = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    everything = resolve_range(
        db_session,
        official,
        start=date(2000, 1, 1),
        end=date(2100, 1, 1),
        since_last=False,
        kinds=(ChangeKind.EMPLOYER,),
    )
    rows = [row[4:7] for row in change_rows(db_session, student.school_id, everything)]
    assert ["Employment type", "", "Paid employee"] in rows
    assert ["Employment type", "Paid employee", "Self-employed business owner"] in rows
    csv_text = b"".join(change_list_csv(db_session, student.school_id, everything)).decode("utf-8-sig")
    assert "Employment type,Paid employee,Self-employed business owner" in csv_text


# ---------------------------------------------------------------- the data feed


def _feed_add(db_session, factory, **employer):
    school = factory.school()
    start = date.today() - timedelta(days=20)
    student = factory.student(school=school, opt_start=start, opt_end=start + timedelta(days=365))
    values = {
        "name": "Feed Co",
        "address_line1": "1 Main Street",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "course_relevance": "Applies my degree.",
        "employment_time": "full_time",
        "start_date": (start + timedelta(days=12)).isoformat(),
        **employer,
    }
    record = {
        "action": "OPTEmployment.Add",
        "sevis_id": student.sevis_id,
        "request_id": "1",
        "data": {
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=365)).isoformat(),
            "employers": [values],
        },
    }
    body = "\n".join(json.dumps(line) for line in ({"batch_id": "T1"}, record)).encode()
    _batch, result = receive_batch(db_session, school, parse_batch(body))
    return student, result["records"][0]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ({}, EmploymentType.PAID_EMPLOYEE),
        ({"self_employed": True}, EmploymentType.SELF_EMPLOYED),
        ({"employment_type": "short_term"}, EmploymentType.SHORT_TERM),
    ],
)
def test_the_feed_takes_the_type_or_defaults_it(db_session, factory, sent, stored):
    student, record = _feed_add(db_session, factory, **sent)
    assert record["status"] == "applied", record
    assert db_session.scalar(select(Employer.employment_type).where(Employer.student_id == student.id)) is stored


@pytest.mark.parametrize("sent", ["gig", 7, ["paid_employee"]])
def test_the_feed_rejects_a_bad_type_alone_naming_the_field(db_session, factory, sent):
    student, record = _feed_add(db_session, factory, employment_type=sent)
    assert record["status"] == "rejected" and "employment_type" in f"{record.get('field')} {record['reason']}", record
    assert db_session.scalar(select(Employer.id).where(Employer.student_id == student.id)) is None
