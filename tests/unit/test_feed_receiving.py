"""Receiving feed batches: events per record, idempotent batch ids, the school's own batches, queueing during maintenance and catching up after it."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.models import FeedBatch, InboundFeedItem, MaintenanceWindow, Student, utcnow
from portal.models.enums import FeedItemStatus
from portal.services.actors import Actor
from portal.services.feed.parsing import FeedRefused, parse_batch
from portal.services.feed.receiving import catch_up_after_maintenance, receive_batch
from portal.services.maintenance import cancel_window, schedule_window
from portal.worker.loop import run_worker
from tests.support import sevis_xml
from tests.support.feed_batches import events_of, jsonl


def test_every_applied_record_writes_data_received_and_data_transmitted_events(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    receive_batch(
        db_session,
        school,
        parse_batch(
            jsonl(
                "B1",
                {
                    "action": "PersonalInfo.Email",
                    "sevis_id": student.sevis_id,
                    "data": {"email": "new.address@example.edu"},
                },
            )
        ),
    )
    assert student.email == "new.address@example.edu"
    [received] = events_of(db_session, student.id, "feed.data_received")
    [transmitted] = events_of(db_session, student.id, "feed.data_transmitted")
    assert received.after["batch_id"] == "B1" and transmitted.after["result"] == "applied"
    assert received.actor_kind.value == "data_feed"


def test_valid_records_apply_when_others_in_the_batch_are_rejected(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    other_school_student = factory.student()
    data = jsonl(
        "B1",
        {"action": "PersonalInfo.Email", "sevis_id": "N9999999999", "request_id": "1", "data": {"email": "a@b.edu"}},
        {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "request_id": "2", "data": {"email": "bad"}},
        {
            "action": "PersonalInfo.Email",
            "sevis_id": other_school_student.sevis_id,
            "request_id": "3",
            "data": {"email": "c@d.edu"},
        },
        {
            "action": "PersonalInfo.USAddress",
            "sevis_id": student.sevis_id,
            "request_id": "4",
            "data": {"line1": "5 Elm Street", "city": "Boston", "state": "MA", "postal_code": "02110"},
        },
    )
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
    assert len(events_of(db_session, student.id, "feed.data_received")) == 1
    assert db_session.scalar(select(func.count()).select_from(FeedBatch).where(FeedBatch.batch_id == "SAME")) == 1


def test_batch_for_another_or_unknown_school_code_is_refused(factory, db_session):
    school, other = factory.school(), factory.school()
    with pytest.raises(FeedRefused, match="not the school of this token"):
        receive_batch(
            db_session,
            school,
            parse_batch(
                sevis_xml.batch(other.code, "20260319000004", sevis_xml.email_update("N0000000001", "1", "a@b.edu"))
            ),
        )
    with pytest.raises(FeedRefused, match="not a school the portal knows"):
        receive_batch(
            db_session,
            school,
            parse_batch(
                sevis_xml.batch(
                    "ZZZ214F99999999", "20260319000005", sevis_xml.email_update("N0000000001", "1", "a@b.edu")
                )
            ),
        )


def test_records_arriving_during_maintenance_queue_and_apply_once_in_arrival_order(factory, db_session, time_machine):
    time_machine.move_to("2026-03-19 23:00:00+00:00", tick=False)
    school = factory.school()
    student = factory.student(school=school)

    schedule_window(
        db_session, starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=4), message="", actor=Actor.system()
    )
    for number, email in enumerate(["first@example.edu", "second@example.edu", "third@example.edu"]):
        _b, result = receive_batch(
            db_session,
            school,
            parse_batch(
                jsonl(
                    f"M{number}",
                    {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "data": {"email": email}},
                )
            ),
        )
        assert result["records"][0]["status"] == "queued"
    assert catch_up_after_maintenance(db_session) == 0  # still inside the window
    assert db_session.get(Student, student.id).email != "third@example.edu"

    time_machine.move_to("2026-03-20 03:00:01+00:00", tick=False)
    assert catch_up_after_maintenance(db_session) == 3
    assert catch_up_after_maintenance(db_session) == 0  # exactly once
    assert db_session.get(Student, student.id).email == "third@example.edu"  # arrival order
    changes = [e.after["email"] for e in events_of(db_session, student.id, "student.email_changed")]
    assert changes == ["first@example.edu", "second@example.edu", "third@example.edu"]
    statuses = set(db_session.scalars(select(InboundFeedItem.status)))
    assert statuses == {FeedItemStatus.APPLIED}


def _window_runs_its_course(session, window, time_machine):
    time_machine.move_to("2024-03-20 03:30:01+00:00", tick=False)


def _window_is_cancelled(session, window, time_machine):
    time_machine.move_to("2024-03-20 00:40:00+00:00", tick=False)
    cancel_window(session, window.id, actor=Actor.system())


def _window_is_shortened(session, window, time_machine):
    time_machine.move_to("2024-03-20 00:50:00+00:00", tick=False)
    window.ends_at = utcnow()  # an operator ends it early, in the database: no action for it on the operator page


@pytest.mark.parametrize(
    "end_window",
    [_window_runs_its_course, _window_is_cancelled, _window_is_shortened],
    ids=["ended", "cancelled", "shortened"],
)
def test_the_worker_applies_feed_items_queued_during_maintenance_however_the_window_ends(
    app, factory, db_session, time_machine, tmp_path, monkeypatch, end_window
):
    """Rule 11, none lost: whatever ended the window, the worker applies what it queued, once, without waiting for a
    later batch; while the window is in force it applies nothing."""
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    time_machine.move_to("2024-03-20 00:30:00+00:00", tick=False)
    school = factory.school()
    student = factory.student(school=school)
    student_id = student.id
    window_id = schedule_window(
        db_session,
        starts_at=utcnow() - timedelta(minutes=30),
        ends_at=utcnow() + timedelta(hours=3),
        message="",
        actor=Actor.system(),
    ).id
    _b, result = receive_batch(
        db_session,
        school,
        parse_batch(
            jsonl(
                "W1",
                {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "data": {"email": "after@example.edu"}},
            )
        ),
    )
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
    assert len(events_of(db_session, student_id, "feed.data_transmitted")) == 1  # once
    # The email-of-record change tells both addresses, sent by the same run.
    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_nothing_queued_is_applied_twice_when_the_queue_is_caught_up_again(factory, db_session, time_machine):
    time_machine.move_to("2024-03-20 00:30:00+00:00", tick=False)
    school = factory.school()
    student = factory.student(school=school)
    window = schedule_window(
        db_session, starts_at=utcnow(), ends_at=utcnow() + timedelta(hours=1), message="", actor=Actor.system()
    )
    receive_batch(
        db_session,
        school,
        parse_batch(
            jsonl(
                "C1",
                {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "data": {"email": "once@example.edu"}},
            )
        ),
    )
    assert catch_up_after_maintenance(db_session) == 0
    cancel_window(db_session, window.id, actor=Actor.system())
    assert [catch_up_after_maintenance(db_session) for _ in range(3)] == [1, 0, 0]
    receive_batch(
        db_session,
        school,
        parse_batch(
            jsonl(
                "C2",
                {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "data": {"email": "later@example.edu"}},
            )
        ),
    )
    changes = [event.after["email"] for event in events_of(db_session, student.id, "student.email_changed")]
    assert changes == ["once@example.edu", "later@example.edu"]
