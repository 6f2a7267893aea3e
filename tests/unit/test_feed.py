"""The SEVIS data feed: schema-valid files judged record by record, idempotent batches, events, maintenance queueing."""

import json
from datetime import date, timedelta

import pytest
import xmlschema
from sqlalchemy import func, select

from portal.models import Employer, Event, FeedBatch, InboundFeedItem, OptAuthorization, OutboxEmail, Student, User
from portal.models.enums import FeedItemStatus, OptKind, OptStatus, Role
from portal.services.actors import Actor
from portal.services.errors import NotAllowed
from portal.services.feed import (
    FeedRefused,
    create_feed_token,
    parse_batch,
    receive_batch,
    revoke_feed_token,
    school_for_token,
    transaction_log_xml,
    translog_schema,
)  # fmt: skip
from tests.support import sevis_xml

TODAY = date.today()
OPT_START, OPT_END = TODAY - timedelta(days=20), TODAY + timedelta(days=345)


def jsonl(batch_id, *records, org_id=None) -> bytes:
    header = {"batch_id": batch_id, **({"org_id": org_id} if org_id else {})}
    return "\n".join(json.dumps(line) for line in (header, *records)).encode()


EAD_START, EAD_END = OPT_START + timedelta(days=9), OPT_END + timedelta(days=9)


def opt_add_record(sevis_id, request_id="1", action="OPTEmployment.Add", **extra):
    return {"action": action, "sevis_id": sevis_id, "request_id": request_id,
            "data": {"start_date": OPT_START.isoformat(), "end_date": OPT_END.isoformat(),
                     "ead_start_date": EAD_START.isoformat(), "ead_end_date": EAD_END.isoformat(), **extra}}  # fmt: skip


def employer_values(name="Example Analytics LLC", start=None):
    return {"name": name, "address_line1": "1 Main Street", "city": "Boston", "state": "MA", "postal_code": "02110",
            "ein": "123456789", "course_relevance": "Applies my degree.", "employment_time": "full_time",
            "start_date": (start or EAD_START + timedelta(days=5)).isoformat(), "job_title": "Analyst"}  # fmt: skip


def _events(db_session, student_id, event_type):
    return db_session.scalars(select(Event).where(Event.student_id == student_id, Event.event_type == event_type).order_by(Event.id)).all()


def test_opt_add_through_the_feed_approves_and_creates_the_account_exactly_once(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt=None)
    data = jsonl("B1", opt_add_record(student.sevis_id, employers=[employer_values()]))
    _batch, result = receive_batch(db_session, school, parse_batch(data))
    assert result["records"][0]["status"] == "applied", result
    opt = db_session.scalar(select(OptAuthorization).join(OptAuthorization.program_record).where(
        OptAuthorization.start_date == OPT_START))  # fmt: skip
    assert opt.status is OptStatus.APPROVED
    assert db_session.scalar(select(func.count()).select_from(User).where(User.student_id == student.id)) == 1
    assert db_session.scalar(select(Employer.name).where(Employer.student_id == student.id)) == "Example Analytics LLC"
    # Re-sent under a new batch id: the same OPT, no second account or email.
    receive_batch(db_session, school, parse_batch(jsonl("B2", opt_add_record(student.sevis_id))))
    assert db_session.scalar(select(func.count()).select_from(User).where(User.student_id == student.id)) == 1
    creation = db_session.scalar(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.student_id == student.id, OutboxEmail.template == "account_creation"))  # fmt: skip
    assert creation == 1


def test_every_applied_record_writes_data_received_and_data_transmitted_events(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    receive_batch(db_session, school, parse_batch(jsonl("B1", {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id,
                                                               "data": {"email": "new.address@example.edu"}})))  # fmt: skip
    assert student.email == "new.address@example.edu"
    [received] = _events(db_session, student.id, "feed.data_received")
    [transmitted] = _events(db_session, student.id, "feed.data_transmitted")
    assert received.after["batch_id"] == "B1" and transmitted.after["result"] == "applied"
    assert received.actor_kind.value == "data_feed"


def test_valid_records_apply_when_others_in_the_batch_are_rejected(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    other_school_student = factory.student()
    data = jsonl("B1",
                 {"action": "PersonalInfo.Email", "sevis_id": "N9999999999", "request_id": "1", "data": {"email": "a@b.edu"}},
                 {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "request_id": "2", "data": {"email": "bad"}},
                 {"action": "PersonalInfo.Email", "sevis_id": other_school_student.sevis_id, "request_id": "3",
                  "data": {"email": "c@d.edu"}},
                 {"action": "PersonalInfo.USAddress", "sevis_id": student.sevis_id, "request_id": "4",
                  "data": {"line1": "5 Elm Street", "city": "Boston", "state": "MA", "postal_code": "02110"}})  # fmt: skip
    _batch, result = receive_batch(db_session, school, parse_batch(data))
    statuses = [(r["status"], r.get("field")) for r in result["records"]]
    assert statuses == [("rejected", None), ("rejected", "email"), ("rejected", None), ("applied", None)]
    assert "N9999999999" in result["records"][0]["reason"]
    assert other_school_student.email == db_session.get(Student, other_school_student.id).email  # untouched
    assert result["counts"] == {"queued": 0, "applied": 1, "rejected": 2 + 1}


def test_re_sent_batch_id_is_a_no_op_with_the_same_answer(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    data = jsonl("SAME", {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "data": {"email": "x@y.edu"}})
    _b, first = receive_batch(db_session, school, parse_batch(data))
    _b, second = receive_batch(db_session, school, parse_batch(data))
    assert second["duplicate"] is True and second["records"] == first["records"]
    assert len(_events(db_session, student.id, "feed.data_received")) == 1
    assert db_session.scalar(select(func.count()).select_from(FeedBatch).where(FeedBatch.batch_id == "SAME")) == 1


def test_create_student_and_a_duplicate_sevis_id_in_one_batch(factory, db_session):
    school = factory.school()
    create = {"action": "CreateStudent", "sevis_id": "N0123456789", "data": {
        "surname": "Nguyen", "given_name": "Linh", "email": "linh@example.edu", "education_level": "masters",
        "program_start": "2024-08-20", "program_end": "2026-05-15", "passport_number": "ignored"}}  # fmt: skip
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
        + sevis_xml.employer_edit(student.sevis_id, "2", "Example Analytics LLC", employer_start, s, e, "Senior Analyst")
        + sevis_xml.opt_add(student.sevis_id, "3", stem_start, stem_end, verb="Extend",
                            employers=sevis_xml.employer_xml("Stem Labs Inc", start=stem_start))
        + sevis_xml.opt_add(student.sevis_id, "4", s, e, verb="Edit")
        + sevis_xml.email_update(student.sevis_id, "5", "feed@example.edu")
    )  # fmt: skip
    _b, result = receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000001", updates)))
    assert [r["status"] for r in result["records"]] == ["applied"] * 5, result
    kinds = {opt.kind: opt.status for opt in db_session.scalars(select(OptAuthorization).join(OptAuthorization.program_record))
             if opt.program_record.student_id == student.id}  # fmt: skip
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
    return db_session.scalars(select(OptAuthorization).join(OptAuthorization.program_record).where(
        OptAuthorization.program_record.has(student_id=student.id)).order_by(OptAuthorization.id)).all()  # fmt: skip


def test_a_json_approval_records_the_ead_dates_it_carries_and_keeps_the_requested_ones(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt="pending", opt_start=OPT_START, opt_end=OPT_END)
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("E1", opt_add_record(student.sevis_id))))
    assert result["records"][0]["status"] == "applied", result
    [opt] = _opts_of(db_session, student)
    assert (opt.status, opt.start_date, opt.actual_start_date, opt.actual_end_date) == (
        OptStatus.APPROVED, OPT_START, EAD_START, EAD_END)  # fmt: skip
    [approved] = _events(db_session, student.id, "opt.approved")
    assert approved.actor_kind.value == "data_feed" and approved.after["actual_start_date"] == EAD_START.isoformat()


def test_a_json_edit_corrects_the_ead_dates_of_an_approved_opt(factory, db_session):
    school = factory.school()
    student = factory.student(school=school, opt_start=OPT_START, opt_end=OPT_END)
    record = opt_add_record(student.sevis_id, action="OPTEmployment.Edit", ead_start_date=EAD_START.isoformat())
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("E2", record)))
    assert result["records"][0]["status"] == "applied", result
    [opt] = _opts_of(db_session, student)
    assert (opt.actual_start_date, opt.actual_end_date) == (EAD_START, EAD_END)
    [corrected] = _events(db_session, student.id, "opt.corrected")
    assert corrected.before["actual_start_date"] == OPT_START.isoformat()


@pytest.mark.parametrize(("action", "ead", "field", "reason"), [
    ("OPTEmployment.Add", {"ead_start_date": EAD_END.isoformat(), "ead_end_date": EAD_START.isoformat()},
     "ead_end_date", "cannot end"),
    ("OPTEmployment.Add", {"ead_start_date": "2026-02-30"}, "ead_start_date", "must be a date"),
    ("OPTEmployment.Add", {"ead_end_date": None}, "ead_end_date", "is required"),
    ("OPTEmployment.Extend", {"ead_start_date": EAD_END.isoformat(), "ead_end_date": EAD_START.isoformat()},
     "ead_end_date", "cannot end"),
    ("OPTEmployment.Edit", {"ead_start_date": EAD_END.isoformat(), "ead_end_date": EAD_START.isoformat()},
     "ead_end_date", "cannot end"),
])  # fmt: skip
def test_an_impossible_ead_range_rejects_that_record_alone_with_the_reason(factory, db_session, action, ead, field,
                                                                           reason):  # fmt: skip
    school = factory.school()
    student = factory.student(school=school, opt="pending" if action != "OPTEmployment.Edit" else "approved",
                              opt_start=OPT_START, opt_end=OPT_END)  # fmt: skip
    bad = opt_add_record(student.sevis_id, "1", action=action, **ead)
    fine = {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "request_id": "2",
            "data": {"email": "still.applied@example.edu"}}  # fmt: skip
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("E3", bad, fine)))
    rejected, applied = result["records"]
    assert (rejected["status"], rejected["field"]) == ("rejected", field) and reason in rejected["reason"], result
    assert applied["status"] == "applied"
    unchanged = [(OptStatus.APPROVED, OPT_START)] if action == "OPTEmployment.Edit" else [(OptStatus.PENDING, None)]
    assert [(opt.status, opt.actual_start_date) for opt in _opts_of(db_session, student)] == unchanged
    assert _events(db_session, student.id, "opt.approved") == []
    assert _events(db_session, student.id, "opt.corrected") == []


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
    updates = (sevis_xml.opt_add(student.sevis_id, "1", EAD_END.isoformat(), EAD_START.isoformat())
               + sevis_xml.email_update(student.sevis_id, "2", "xml.applied@example.edu"))  # fmt: skip
    _b, result = receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000004", updates)))
    assert [r["status"] for r in result["records"]] == ["rejected", "applied"], result
    assert "on or after" in result["records"][0]["reason"]
    assert _opts_of(db_session, student) == []


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"\xff\xfe{\x00", "not UTF-8"),
    (b'{"batch_id": "B1"}\n{not json', "Line 2 is not valid JSON"),
    (b'{"action": "X"}', "first line must be the header"),
    (b'{"batch_id": "B1"}\n{"action": "DropStudent"}', "unknown action"),
    (b"<SEVISBatchCreateUpdateStudent><unclosed>", "malformed"),
    (b'<?xml version="1.0"?><SEVISBatchCreateUpdateStudent userID="FEEDUSER01"><BatchHeader><BatchID>SHORT</BatchID>'
     b"<OrgID>TST214F00000001</OrgID></BatchHeader></SEVISBatchCreateUpdateStudent>", "BatchID"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><SEVISBatchCreateUpdateStudent/>', ""),
])  # fmt: skip
def test_a_file_that_cannot_be_read_or_breaks_the_schema_is_refused_whole_with_the_reason(data, reason):
    with pytest.raises(FeedRefused) as refused:
        parse_batch(data)
    assert reason in refused.value.reason


def test_schema_invalid_record_refuses_the_whole_file_and_applies_nothing(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    bad_zip = sevis_xml.employer_xml().replace("<PostalCode>02110</PostalCode>", "<PostalCode>ABCDE</PostalCode>")
    updates = sevis_xml.email_update(student.sevis_id, "1", "ok@example.edu") + sevis_xml.opt_add(
        student.sevis_id, "2", employers=bad_zip)  # fmt: skip
    with pytest.raises(FeedRefused) as refused:
        receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000003", updates)))
    assert "PostalCode" in refused.value.reason
    assert db_session.scalar(select(func.count()).select_from(InboundFeedItem)) == 0


def test_batch_for_another_or_unknown_school_code_is_refused(factory, db_session):
    school, other = factory.school(), factory.school()
    with pytest.raises(FeedRefused, match="not the school of this token"):
        receive_batch(db_session, school, parse_batch(sevis_xml.batch(other.code, "20260319000004",
                                                                      sevis_xml.email_update("N0000000001", "1", "a@b.edu"))))  # fmt: skip
    with pytest.raises(FeedRefused, match="not a school the portal knows"):
        receive_batch(db_session, school, parse_batch(sevis_xml.batch("ZZZ214F99999999", "20260319000005",
                                                                      sevis_xml.email_update("N0000000001", "1", "a@b.edu"))))  # fmt: skip


def test_transaction_log_is_valid_against_sevis_trans_log_xsd(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    data = jsonl("B1", {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "request_id": "7", "data": {"email": "a@b.edu"}},
                 {"action": "PersonalInfo.Email", "sevis_id": "N9999999999", "request_id": "8", "data": {"email": "a@b.edu"}})  # fmt: skip
    _b, result = receive_batch(db_session, school, parse_batch(data))
    log = transaction_log_xml(result, org_id=school.code)
    translog_schema().validate(xmlschema.XMLResource(log.encode()))
    assert "<Success>1</Success><Failure>1</Failure><Total>2</Total>" in log and "N9999999999" in log


def test_records_arriving_during_maintenance_queue_and_apply_once_in_arrival_order(factory, db_session, time_machine):
    from portal.services.maintenance import catch_up_after_maintenance, schedule_window

    time_machine.move_to("2026-03-19 23:00:00+00:00", tick=False)
    school = factory.school()
    student = factory.student(school=school)
    from portal.models import utcnow

    schedule_window(db_session, starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=4), message="", actor=Actor.system())
    for number, email in enumerate(["first@example.edu", "second@example.edu", "third@example.edu"]):
        _b, result = receive_batch(db_session, school, parse_batch(jsonl(f"M{number}", {
            "action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "data": {"email": email}})))  # fmt: skip
        assert result["records"][0]["status"] == "queued"
    assert catch_up_after_maintenance(db_session) == 0  # still inside the window
    assert db_session.get(Student, student.id).email != "third@example.edu"

    time_machine.move_to("2026-03-20 03:00:01+00:00", tick=False)
    assert catch_up_after_maintenance(db_session) == 3
    assert catch_up_after_maintenance(db_session) == 0  # exactly once
    assert db_session.get(Student, student.id).email == "third@example.edu"  # arrival order
    changes = [e.after["email"] for e in _events(db_session, student.id, "student.email_changed")]
    assert changes == ["first@example.edu", "second@example.edu", "third@example.edu"]
    statuses = set(db_session.scalars(select(InboundFeedItem.status)))
    assert statuses == {FeedItemStatus.APPLIED}


def test_tokens_are_stored_hashed_and_stop_working_when_revoked(factory, db_session):
    school = factory.school()
    token, raw = create_feed_token(db_session, school, name="SIS nightly", actor=Actor.system())
    assert raw not in token.token_hash and school_for_token(db_session, raw) == school
    assert school_for_token(db_session, raw + "x") is None and school_for_token(db_session, None) is None
    revoke_feed_token(db_session, token, actor=Actor.system())
    assert school_for_token(db_session, raw) is None


@pytest.mark.parametrize("role", [Role.DSO, Role.STUDENT, Role.SUPPORT])
def test_only_the_principal_dso_or_an_operator_manages_tokens(factory, db_session, role):
    school = factory.school()
    user = factory.user(role=role, school=school if role is Role.DSO else None)
    with pytest.raises(NotAllowed):
        create_feed_token(db_session, school, name="x", actor=Actor.for_user(user))
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    assert create_feed_token(db_session, school, name="x", actor=Actor.for_user(principal))[1]


def _window_runs_its_course(session, window, time_machine):
    time_machine.move_to("2024-03-20 03:30:01+00:00", tick=False)


def _window_is_cancelled(session, window, time_machine):
    from portal.services.maintenance import cancel_window

    time_machine.move_to("2024-03-20 00:40:00+00:00", tick=False)
    cancel_window(session, window.id, actor=Actor.system())


def _window_is_shortened(session, window, time_machine):
    from portal.models import utcnow

    time_machine.move_to("2024-03-20 00:50:00+00:00", tick=False)
    window.ends_at = utcnow()  # an operator ends it early, in the database: no action for it on the operator page


@pytest.mark.parametrize("end_window", [_window_runs_its_course, _window_is_cancelled, _window_is_shortened],
                         ids=["ended", "cancelled", "shortened"])  # fmt: skip
def test_the_worker_applies_feed_items_queued_during_maintenance_however_the_window_ends(app, factory, db_session,
                                                                                         time_machine, tmp_path,
                                                                                         monkeypatch, end_window):  # fmt: skip
    """Rule 11, none lost: whatever ended the window, the worker applies what it queued, once, without waiting for a
    later batch; while the window is in force it applies nothing."""
    from portal.models import MaintenanceWindow, utcnow
    from portal.services.maintenance import schedule_window
    from portal.worker.loop import run_worker

    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    time_machine.move_to("2024-03-20 00:30:00+00:00", tick=False)
    school = factory.school()
    student = factory.student(school=school)
    student_id = student.id
    window_id = schedule_window(db_session, starts_at=utcnow() - timedelta(minutes=30), ends_at=utcnow() + timedelta(hours=3),
                                message="", actor=Actor.system()).id  # fmt: skip
    _b, result = receive_batch(db_session, school, parse_batch(jsonl("W1", {"action": "PersonalInfo.Email",
                                                               "sevis_id": student.sevis_id, "data": {"email": "after@example.edu"}})))  # fmt: skip
    assert result["counts"]["queued"] == 1
    db_session.commit()
    run_worker(until_empty=True)
    time_machine.move_to("2024-03-20 00:35:00+00:00", tick=False)
    run_worker(until_empty=True)
    assert db_session.get(Student, student_id).email != "after@example.edu"  # nothing while the window is in force
    assert list(db_session.scalars(select(InboundFeedItem.status))) == [FeedItemStatus.QUEUED]

    end_window(db_session, db_session.get(MaintenanceWindow, window_id), time_machine)
    db_session.commit()
    run_worker(until_empty=True)
    run_worker(until_empty=True)
    assert db_session.get(Student, student_id).email == "after@example.edu"
    assert list(db_session.scalars(select(InboundFeedItem.status))) == [FeedItemStatus.APPLIED]
    assert len(_events(db_session, student_id, "feed.data_transmitted")) == 1  # once
    # The email-of-record change tells both addresses, sent by the same run.
    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_nothing_queued_is_applied_twice_when_the_queue_is_caught_up_again(factory, db_session, time_machine):
    from portal.models import utcnow
    from portal.services.maintenance import cancel_window, catch_up_after_maintenance, schedule_window

    time_machine.move_to("2024-03-20 00:30:00+00:00", tick=False)
    school = factory.school()
    student = factory.student(school=school)
    window = schedule_window(db_session, starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=1), message="",
                             actor=Actor.system())  # fmt: skip
    receive_batch(db_session, school, parse_batch(jsonl("C1", {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id,
                                                               "data": {"email": "once@example.edu"}})))  # fmt: skip
    assert catch_up_after_maintenance(db_session) == 0
    cancel_window(db_session, window.id, actor=Actor.system())
    assert [catch_up_after_maintenance(db_session) for _ in range(3)] == [1, 0, 0]
    receive_batch(db_session, school, parse_batch(jsonl("C2", {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id,
                                                               "data": {"email": "later@example.edu"}})))  # fmt: skip
    changes = [event.after["email"] for event in _events(db_session, student.id, "student.email_changed")]
    assert changes == ["once@example.edu", "later@example.edu"]
