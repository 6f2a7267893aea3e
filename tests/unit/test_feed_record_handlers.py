"""Feed records applied one by one: each action calls the service a person's change would call; a refusal rejects that record alone."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.models import Employer, OptAuthorization, OutboxEmail, Student, User
from portal.models.enums import OptKind, OptStatus
from portal.services.feed.parsing import parse_batch
from portal.services.feed.receiving import receive_batch
from tests.support import sevis_xml
from tests.support.feed_batches import (
    EAD_END,
    EAD_START,
    OPT_END,
    OPT_START,
    employer_values,
    events_of,
    jsonl,
    opt_add_record,
)


def test_opt_add_through_the_feed_approves_and_creates_the_account_exactly_once(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt=None)
    data = jsonl("B1", opt_add_record(student.sevis_id, employers=[employer_values()]))
    _batch, result = receive_batch(db_session, school, parse_batch(data))
    assert result["records"][0]["status"] == "applied", result
    opt = db_session.scalar(
        select(OptAuthorization).join(OptAuthorization.program_record).where(OptAuthorization.start_date == OPT_START)
    )
    assert opt.status is OptStatus.APPROVED
    assert db_session.scalar(select(func.count()).select_from(User).where(User.student_id == student.id)) == 1
    assert db_session.scalar(select(Employer.name).where(Employer.student_id == student.id)) == "Example Analytics LLC"
    # Re-sent under a new batch id: the same OPT, no second account or email.
    receive_batch(db_session, school, parse_batch(jsonl("B2", opt_add_record(student.sevis_id))))
    assert db_session.scalar(select(func.count()).select_from(User).where(User.student_id == student.id)) == 1
    creation = db_session.scalar(
        select(func.count())
        .select_from(OutboxEmail)
        .where(OutboxEmail.student_id == student.id, OutboxEmail.template == "account_creation")
    )
    assert creation == 1


def test_create_student_and_a_duplicate_sevis_id_in_one_batch(factory, db_session):
    school = factory.school()
    create = {
        "action": "CreateStudent",
        "sevis_id": "N0123456789",
        "data": {
            "surname": "Nguyen",
            "given_name": "Linh",
            "email": "linh@example.edu",
            "education_level": "masters",
            "program_start": "2024-08-20",
            "program_end": "2026-05-15",
            "passport_number": "ignored",
        },
    }
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("C1", create, create)))
    assert [r["status"] for r in result["records"]] == ["applied", "rejected"]
    assert "already exists" in result["records"][1]["reason"]
    student = db_session.scalar(select(Student).where(Student.sevis_id == "N0123456789"))
    assert student.school_id == school.id and student.program_records[0].end_date == date(2026, 5, 15)


def test_sevis_xml_batch_applies_opt_employment_and_employer_actions(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt=None)
    s, e = OPT_START.isoformat(), OPT_END.isoformat()
    employer_start = (OPT_START + timedelta(days=3)).isoformat()
    stem_start, stem_end = (OPT_END + timedelta(days=1)).isoformat(), (OPT_END + timedelta(days=730)).isoformat()
    updates = (
        sevis_xml.opt_add(student.sevis_id, "1", s, e, employers=sevis_xml.employer_xml(start=employer_start))
        + sevis_xml.employer_edit(
            student.sevis_id, "2", "Example Analytics LLC", employer_start, s, e, "Senior Analyst"
        )
        + sevis_xml.opt_add(
            student.sevis_id,
            "3",
            stem_start,
            stem_end,
            verb="Extend",
            employers=sevis_xml.employer_xml("Stem Labs Inc", start=stem_start),
        )
        + sevis_xml.opt_add(student.sevis_id, "4", s, e, verb="Edit")
        + sevis_xml.email_update(student.sevis_id, "5", "feed@example.edu")
    )
    _b, result = receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000001", updates)))
    assert [r["status"] for r in result["records"]] == ["applied"] * 5, result
    kinds = {
        opt.kind: opt.status
        for opt in db_session.scalars(select(OptAuthorization).join(OptAuthorization.program_record))
        if opt.program_record.student_id == student.id
    }
    assert kinds == {OptKind.POST_COMPLETION: OptStatus.APPROVED, OptKind.STEM: OptStatus.APPROVED}
    titles = set(db_session.scalars(select(Employer.job_title).where(Employer.student_id == student.id)))
    assert titles == {"Senior Analyst", "Data Analyst"}
    assert db_session.get(Student, student.id).email == "feed@example.edu"


def test_opt_cancel_through_xml_denies_the_opt(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt_start=OPT_START, opt_end=OPT_END)
    updates = sevis_xml.opt_add(student.sevis_id, "1", OPT_START.isoformat(), OPT_END.isoformat(), verb="Cancel")
    _b, result = receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000002", updates)))
    assert result["records"][0]["status"] == "applied", result
    assert student.program_records[-1].opt_authorizations[0].status is OptStatus.DENIED


def _opts_of(db_session, student):
    return db_session.scalars(
        select(OptAuthorization)
        .join(OptAuthorization.program_record)
        .where(OptAuthorization.program_record.has(student_id=student.id))
        .order_by(OptAuthorization.id)
    ).all()


def test_a_json_approval_records_the_ead_dates_it_carries_and_keeps_the_requested_ones(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt="pending", opt_start=OPT_START, opt_end=OPT_END)
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("E1", opt_add_record(student.sevis_id))))
    assert result["records"][0]["status"] == "applied", result
    [opt] = _opts_of(db_session, student)
    assert (opt.status, opt.start_date, opt.actual_start_date, opt.actual_end_date) == (
        OptStatus.APPROVED,
        OPT_START,
        EAD_START,
        EAD_END,
    )
    [approved] = events_of(db_session, student.id, "opt.approved")
    assert approved.actor_kind.value == "data_feed" and approved.after["actual_start_date"] == EAD_START.isoformat()


def test_a_json_edit_corrects_the_ead_dates_of_an_approved_opt(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt_start=OPT_START, opt_end=OPT_END)
    record = opt_add_record(student.sevis_id, action="OPTEmployment.Edit", ead_start_date=EAD_START.isoformat())
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("E2", record)))
    assert result["records"][0]["status"] == "applied", result
    [opt] = _opts_of(db_session, student)
    assert (opt.actual_start_date, opt.actual_end_date) == (EAD_START, EAD_END)
    [corrected] = events_of(db_session, student.id, "opt.corrected")
    assert corrected.before["actual_start_date"] == OPT_START.isoformat()


@pytest.mark.parametrize(
    ("action", "ead", "field", "reason"),
    [
        (
            "OPTEmployment.Add",
            {"ead_start_date": EAD_END.isoformat(), "ead_end_date": EAD_START.isoformat()},
            "ead_end_date",
            "cannot end",
        ),
        ("OPTEmployment.Add", {"ead_start_date": "2026-02-30"}, "ead_start_date", "must be a date"),
        ("OPTEmployment.Add", {"ead_end_date": None}, "ead_end_date", "is required"),
        (
            "OPTEmployment.Extend",
            {"ead_start_date": EAD_END.isoformat(), "ead_end_date": EAD_START.isoformat()},
            "ead_end_date",
            "cannot end",
        ),
        (
            "OPTEmployment.Edit",
            {"ead_start_date": EAD_END.isoformat(), "ead_end_date": EAD_START.isoformat()},
            "ead_end_date",
            "cannot end",
        ),
    ],
)
def test_an_impossible_ead_range_rejects_that_record_alone_with_the_reason(
    factory, db_session, action, ead, field, reason
):
    school = factory.school()
    student = factory.student(
        school=school,
        opt="pending" if action != "OPTEmployment.Edit" else "approved",
        opt_start=OPT_START,
        opt_end=OPT_END,
    )
    bad = opt_add_record(student.sevis_id, "1", action=action, **ead)
    fine = {
        "action": "PersonalInfo.Email",
        "sevis_id": student.sevis_id,
        "request_id": "2",
        "data": {"email": "still.applied@example.edu"},
    }
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("E3", bad, fine)))
    rejected, applied = result["records"]
    assert (rejected["status"], rejected["field"]) == ("rejected", field) and reason in rejected["reason"], result
    assert applied["status"] == "applied"
    unchanged = [(OptStatus.APPROVED, OPT_START)] if action == "OPTEmployment.Edit" else [(OptStatus.PENDING, None)]
    assert [(opt.status, opt.actual_start_date) for opt in _opts_of(db_session, student)] == unchanged
    assert events_of(db_session, student.id, "opt.approved") == []
    assert events_of(db_session, student.id, "opt.corrected") == []


def test_an_xml_add_approves_with_the_opt_dates_sevis_sends_as_the_ead_dates(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt=None)
    updates = sevis_xml.opt_add(student.sevis_id, "1", EAD_START.isoformat(), EAD_END.isoformat())
    _b, result = receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000003", updates)))
    assert result["records"][0]["status"] == "applied", result
    [opt] = _opts_of(db_session, student)
    assert (opt.status, opt.actual_start_date, opt.actual_end_date) == (OptStatus.APPROVED, EAD_START, EAD_END)


def test_an_xml_add_with_an_impossible_range_rejects_that_record_alone(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt=None)
    updates = sevis_xml.opt_add(
        student.sevis_id, "1", EAD_END.isoformat(), EAD_START.isoformat()
    ) + sevis_xml.email_update(student.sevis_id, "2", "xml.applied@example.edu")
    _b, result = receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000004", updates)))
    assert [r["status"] for r in result["records"]] == ["rejected", "applied"], result
    assert "on or after" in result["records"][0]["reason"]
    assert _opts_of(db_session, student) == []
