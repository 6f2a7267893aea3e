"""History: every event across program records, newest first, filterable; emails; the CSV export."""

import csv
import io
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import time_machine

from portal.mail.outbox import queue_email
from portal.models.enums import ActorKind, EducationLevel, ProgramStatus, Role
from portal.services.actors import Actor
from portal.services.contact import update_phone
from portal.services.events import record_event
from portal.services.history import (
    CSV_HEADER,
    EVENTS_PER_PAGE,
    actor_label,
    by_day,
    changes_in_words,
    describe_changes,
    history_csv,
    student_emails,
    student_events,
)
from portal.services.students import open_program_record
from tests.unit.conftest import TODAY


def test_events_span_every_program_record_newest_first_and_filter_by_kind(db_session, factory, student, actor):
    student.program_records[-1].status = ProgramStatus.TRANSFERRED
    open_program_record(
        db_session,
        factory.system,
        student,
        education_level=EducationLevel.DOCTORATE,
        start_date=date(2026, 1, 1),
        end_date=date(2030, 1, 1),
    )
    update_phone(db_session, student, "6175550100", actor=actor, expected_version=student.version, today=TODAY)
    page = student_events(db_session, student, page=1, per_page=50)
    types = [event.event_type for event in page.items]
    assert types[0] == "contact.phone_changed"
    assert types.count("program.opened") == 2 and "opt.requested" in types
    assert page.total == len(types)
    only = student_events(db_session, student, kinds=["contact", "<bogus>"], page=1)
    assert [event.event_type for event in only.items] == ["contact.phone_changed"]


def test_events_paginate(db_session, factory):
    student = factory.student(today=TODAY)
    first = student_events(db_session, student, page=1, per_page=2)
    assert len(first.items) == 2 and first.has_next and first.pages == 2
    assert student_events(db_session, student, page="garbage", per_page=2).page == 1


def test_emails_and_csv_export(app, db_session, factory):
    student = factory.student(today=TODAY)
    with app.test_request_context():
        email = queue_email(
            db_session,
            template="account_creation",
            to=student.email,
            context={
                "student": student,
                "student_name": student.full_name,
                "expires_at": None,
                "site_name": "OPT Portal",
                "days_valid": 7,
            },
            student=student,
            link_ref="account_link:1",
        )
    emails = student_emails(db_session, student, page=1)
    assert emails.items == [email] and email.reference_code.startswith("OPT-")
    rows = _csv_rows(db_session, student)
    assert rows[0] == CSV_HEADER
    assert any(row[0] == "Email" and row[5] == email.reference_code for row in rows)
    assert sum(row[0] == "Event" for row in rows) == student_events(db_session, student, page=1).total


def _csv_rows(db_session, student, **kwargs) -> list[list[str]]:
    text = "".join(history_csv(db_session, student, **kwargs))
    assert text.startswith("\ufeff")  # so a spreadsheet reads accents right
    return list(csv.reader(io.StringIO(text[1:])))


# Identifiers a person must never read in the CSV: actor kinds, enum values, field names, Python values, JSON.
RAW = re.compile(r"\b(student|school_official|data_feed|system):|full_time|part_time|line1|\b(True|False|None)\b|[{}]")


def _assert_words_only(rows, event_types) -> None:
    for row in rows:
        for cell in row:
            assert not RAW.search(cell) and not any(kind in cell for kind in event_types), cell


def test_the_csv_reads_like_the_history_page(db_session, factory, student, actor):
    official = Actor(kind=ActorKind.SCHOOL_OFFICIAL, label="Dr. Lee", school_id=student.school_id)
    record_event(
        db_session,
        official,
        "employer.updated",
        student=student,
        before={"id": 4, "name": "Acme", "employment_time": "full_time", "self_employed": False, "state": "NH"},
        after={"id": 4, "name": "Acme", "employment_time": "part_time", "self_employed": True, "state": "NH"},
        reported_late=True,
    )
    record_event(
        db_session, actor, "address.mailing_changed", student=student, after={"line1": "2 Oak St", "line2": ""}
    )
    with time_machine.travel(datetime(2026, 3, 4, 20, 30, tzinfo=UTC), tick=False):
        record_event(db_session, Actor.system(), "account.locked", student=student, after={"lock_count": 1})
    rows = _csv_rows(db_session, student, viewer_id=actor.user_id)
    by_title = {row[2]: row for row in rows[1:]}
    who, changes = by_title["Employer changed: Acme (reported late)"][3:5]
    assert who == "Your school (Dr. Lee)"  # one field a line (PostgreSQL's JSONB keeps its own key order)
    assert sorted(changes.splitlines()) == ["Full or part time: Full time -> Part time", "Self-employed: No -> Yes"]
    assert by_title["Mailing address changed"][3:5] == ["You", "Street address: 2 Oak St"]
    assert by_title["Portal account locked"][:5] == [
        "Event",
        "March 4, 2026 at 3:30 PM EST",
        "Portal account locked",
        "The portal",
        "Times locked: 1",
    ]
    _assert_words_only(rows, {event.event_type for event in student_events(db_session, student, per_page=100).items})


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [
        ({"city": "A"}, {"city": "B"}, "City: A -> B"),
        ({"line2": ""}, {"line2": "Apt 4"}, "Second address line: (none) -> Apt 4"),
        (None, {"start_date": "2027-09-07", "ein": None}, "Start date: September 7, 2027"),
        ({"review_status": "waiting"}, None, "School review: Waiting for your review"),
        ({"a": 1}, {"a": 1}, ""),
    ],
)
def test_changes_in_the_csv_are_field_old_and_new_in_words(before, after, words):
    assert changes_in_words(before, after) == words


@pytest.mark.parametrize("value", ["=1+2", "+1", "-x", "@SUM(A1)", "\tx"])
def test_csv_cells_cannot_start_a_formula(db_session, factory, value):
    student = factory.student(today=TODAY)
    record_event(
        db_session, Actor(kind=ActorKind.STUDENT, label=value, user_id=None), "contact.phone_changed", student=student
    )
    rows = _csv_rows(db_session, student)
    assert "'" + value in [row[3] for row in rows]


def test_describe_changes_lists_changed_fields_in_words():
    assert describe_changes({"id": 1, "city": "A", "state": "MA"}, {"id": 1, "city": "B", "state": "MA"}) == [
        ("City", "A", "B")
    ]
    assert describe_changes(None, {"city": "B", "line2": "", "ein": None}) == [("City", "", "B")]


@pytest.mark.parametrize(
    ("before", "after", "rows"),
    [
        (
            {"employment_time": "full_time"},
            {"employment_time": "part_time"},
            [("Full or part time", "Full time", "Part time")],
        ),
        ({"self_employed": False}, {"self_employed": True}, [("Self-employed", "No", "Yes")]),
        (
            {"review_status": "not_needed"},
            {"review_status": "waiting"},
            [("School review", "Not needed", "Waiting for your review")],
        ),
        (None, {"template": "report_receipt"}, [("Email", "", "Receipt for a report")]),
        ({"line1": "1 Elm St"}, {"line1": "2 Oak St"}, [("Street address", "1 Elm St", "2 Oak St")]),
        (
            {"start_date": "2027-09-07"},
            {"start_date": "2027-09-08"},
            [("Start date", "September 7, 2027", "September 8, 2027")],
        ),
        ({"state": "NH"}, {"state": "MA"}, [("State", "New Hampshire", "Massachusetts")]),
        # An address event of before this change recorded its kind beside the fields: not a change, not shown.
        (
            {"line1": "1 Elm St", "city": "Keene"},
            {"kind": "physical", "line1": "2 Oak St", "city": "Keene"},
            [("Street address", "1 Elm St", "2 Oak St")],
        ),
        (
            {"id": 3, "name": "Acme", "job_title": "A"},
            {"id": 3, "name": "Acme", "job_title": "B"},
            [("Job title", "A", "B")],
        ),
    ],
)
def test_describe_changes_puts_values_and_fields_into_words(before, after, rows):
    assert describe_changes(before, after) == rows


# --- History on a phone (issue 13): US Eastern day headings, short pages -------------------------------------------


@pytest.mark.parametrize(
    ("moments", "days"),
    [
        # 23:30 and 00:30 Eastern, an hour apart, fall on two days (EST: UTC-5).
        (
            [datetime(2026, 3, 6, 5, 30, tzinfo=UTC), datetime(2026, 3, 6, 4, 30, tzinfo=UTC)],
            [("Friday, March 6, 2026", 1), ("Thursday, March 5, 2026", 1)],
        ),
        # The same in summer (EDT: UTC-4); a UTC date is not an Eastern date.
        (
            [datetime(2026, 7, 1, 4, 30, tzinfo=UTC), datetime(2026, 7, 1, 3, 30, tzinfo=UTC)],
            [("Wednesday, July 1, 2026", 1), ("Tuesday, June 30, 2026", 1)],
        ),
        # Stored timestamps are naive UTC: morning and late evening of one Eastern day share a heading.
        (
            [datetime(2026, 3, 7, 4, 59), datetime(2026, 3, 6, 13, 0), datetime(2026, 3, 6, 5, 0)],
            [("Friday, March 6, 2026", 3)],
        ),
        ([], []),
    ],
)
def test_events_are_grouped_under_their_us_eastern_day(moments, days):
    events = [SimpleNamespace(occurred_at=moment) for moment in moments]
    groups = by_day(events)
    assert [(group.heading, len(group.events)) for group in groups] == days
    assert [event for group in groups for event in group.events] == events


def test_a_page_is_twenty_events_and_a_page_past_the_last_shows_the_last(db_session, factory):
    student = factory.student(today=TODAY)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    for n in range(EVENTS_PER_PAGE + 3):
        update_phone(
            db_session, student, f"61755501{n:02d}", actor=actor, expected_version=student.version, today=TODAY
        )
    first = student_events(db_session, student, page=1)
    assert EVENTS_PER_PAGE == 20 and len(first.items) == 20 and first.pages == 2
    second = student_events(db_session, student, page=2)
    assert second.page == 2 and len(second.items) == first.total - 20
    assert not {event.id for event in first.items} & {event.id for event in second.items}
    for beyond in (3, "99999999999999999999", 10**30):
        past = student_events(db_session, student, page=beyond)
        assert past.page == 2 and [event.id for event in past.items] == [event.id for event in second.items]


@pytest.mark.parametrize(
    ("kind", "user_id", "label", "words"),
    [
        ("student", 7, "Student", "You"),
        ("student", 8, "Ana Diaz", "Ana Diaz"),
        ("school_official", 9, "Dr. Lee", "Your school (Dr. Lee)"),
        ("support", 10, "Sam", "Support staff"),
        ("data_feed", None, "SEVIS", "SEVIS data feed"),
        ("system", None, "OPT Portal", "The portal"),
    ],
)
def test_who_made_a_change_is_said_in_the_student_s_words(kind, user_id, label, words):
    event = SimpleNamespace(actor_kind=ActorKind(kind), actor_user_id=user_id, actor_label=label)
    assert actor_label(event, viewer_id=7) == words


def test_a_student_actor_is_named_when_nobody_is_viewing_as_a_student():
    event = SimpleNamespace(actor_kind=ActorKind.STUDENT, actor_user_id=None, actor_label="Ana Diaz")
    assert actor_label(event, viewer_id=None) == "Ana Diaz"
