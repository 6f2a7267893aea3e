"""Change lists: ranges, 'since my last download', rows, and SEVIS batch XML that validates against the XSD."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.models import ChangeListDownload, Event
from portal.models.enums import AddressKind, ChangeKind, ExportFormat, Role
from portal.services.actors import Actor
from portal.services.change_list_files import change_list_csv
from portal.services.change_lists import (
    change_rows,
    count_changes,
    range_of,
    record_download,
    resolve_range,
    since_mark,
)
from portal.services.contact import update_address, update_phone
from portal.services.employers import add_employer, delete_employer, restore_employer, update_employer
from portal.services.errors import NotAllowed, RuleBroken
from portal.services.events import changes_text, record_event
from portal.services.sevis.batch_files import xml_single
from portal.services.sevis.batch_xml import xml_records

# The schema the project ships, the one the feed checks incoming batches against (not a copy outside the repository).
XSD = Path(__file__).resolve().parents[2] / "portal" / "schemas" / "sevis" / "Create-UpdateStudent.xsd"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(XSD))


def employer_data(student, **overrides):
    opt = student.program_records[-1].opt_authorizations[0]
    data = {
        "name": 'Initech & Sons "Data"',
        "address_line1": "1 Main Street",
        "address_line2": "Suite 5",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "ein": "123456789",
        "course_relevance": "Uses my statistics degree.",
        "employment_time": "full_time",
        "start_date": (opt.start_date + timedelta(days=1)).isoformat(),
        "supervisor_first_name": "Ada",
        "supervisor_last_name": "Lovelace",
        "supervisor_phone": "6175551234",
        "supervisor_email": "ada@initech.example",
        "job_title": "Analyst",
    }
    data.update(overrides)
    return data


def _student_changes(db_session, factory, school):
    """A student who adds, edits, deletes and restores an employer and changes both addresses."""
    student = factory.student(school=school)
    user = factory.user(role=Role.STUDENT, student=student)
    actor = Actor.for_user(user)
    employer = add_employer(db_session, student, employer_data(student), actor=actor)
    update_employer(
        db_session,
        employer,
        employer_data(student, job_title="Senior Analyst", city="Cambridge", postal_code="02139"),
        actor=actor,
        expected_version=employer.version,
    )
    other = add_employer(db_session, student, employer_data(student, name="Mistake Co", ein="987654321"), actor=actor)
    delete_employer(db_session, other, actor=actor, confirmed_never_worked=True)
    restore_employer(db_session, other, actor=Actor.for_user(factory.user(role=Role.DSO, school=school)))
    update_address(
        db_session,
        student,
        AddressKind.PHYSICAL,
        {"line1": "5 Elm St", "city": "Boston", "state": "MA", "postal_code": "02115"},
        actor=actor,
        expected_version=None,
    )
    update_address(
        db_session,
        student,
        AddressKind.MAILING,
        {"line1": "PO Box 12", "city": "Boston", "state": "MA", "postal_code": "02115"},
        actor=actor,
        expected_version=None,
    )
    return student


def _everything(db_session, dso, kinds=tuple(ChangeKind)):
    return resolve_range(
        db_session, dso, start=date(2000, 1, 1), end=date(2100, 1, 1), since_last=False, kinds=kinds, now=NOW
    )


def test_an_inverted_range_is_refused_with_a_clear_message(db_session, dso):
    with pytest.raises(RuleBroken, match="before the start date"):
        resolve_range(
            db_session, dso, start=date(2026, 5, 2), end=date(2026, 5, 1), since_last=False, kinds=tuple(ChangeKind)
        )


def test_since_my_last_download_starts_where_the_last_one_ended(db_session, dso):
    first = resolve_range(db_session, dso, start=None, end=None, since_last=True, kinds=tuple(ChangeKind), now=NOW)
    record_download(db_session, dso, fmt=ExportFormat.CSV, change_range=first, row_count=0)
    later = NOW + timedelta(days=3)
    second = resolve_range(db_session, dso, start=None, end=None, since_last=True, kinds=tuple(ChangeKind), now=later)
    assert second.covers_from == NOW and second.covers_until == later


def test_each_download_is_an_event(db_session, dso):
    change_range = _everything(db_session, dso)
    download = record_download(db_session, dso, fmt=ExportFormat.XLSX, change_range=change_range, row_count=3)
    event = db_session.scalar(
        select(Event).where(Event.event_type == "change_list.downloaded", Event.subject == f"change_list:{download.id}")
    )
    assert event.after["rows"] == 3 and event.school_id == dso.school_id


def test_support_cannot_download(factory, db_session, dso):
    support = Actor.for_user(factory.user(role=Role.SUPPORT))
    with pytest.raises(NotAllowed):
        record_download(
            db_session, support, fmt=ExportFormat.CSV, change_range=_everything(db_session, dso), row_count=0
        )


def test_rows_are_the_students_changes_of_the_chosen_kinds_only_own_school(factory, db_session, school, dso):
    student = _student_changes(db_session, factory, school)
    _student_changes(db_session, factory, factory.school())
    rows = list(change_rows(db_session, school.id, _everything(db_session, dso)))
    assert {row[0] for row in rows} == {student.sevis_id}
    assert list(dict.fromkeys(row[2] for row in rows)) == [
        "Employer added",
        "Employer changed",
        "Employer deleted",
        "Employer restored by the school",
        "Physical address changed",
        "Mailing address changed",
    ]
    only_addresses = list(change_rows(db_session, school.id, _everything(db_session, dso, (ChangeKind.ADDRESS,))))
    assert {row[3] for row in only_addresses} == {"Physical address", "Mailing address"}
    assert count_changes(db_session, school.id, _everything(db_session, dso)) == 7


def test_one_row_per_changed_field_names_the_employer_and_the_field_in_words(
    factory, db_session, school, dso, student_actor
):
    student, actor = student_actor
    with time_machine.travel(datetime(2026, 10, 5, 15, tzinfo=UTC), tick=False):
        employer = add_employer(
            db_session, student, employer_data(student, name="Northwind Freight", job_title="Dispatcher"), actor=actor
        )
    with time_machine.travel(datetime(2026, 11, 5, 15, 7, tzinfo=UTC), tick=False):
        update_employer(
            db_session,
            employer,
            employer_data(
                student, name="Northwind Freight", job_title="Senior Dispatcher", employment_time="part_time"
            ),
            actor=actor,
            expected_version=employer.version,
        )
    rows = list(change_rows(db_session, school.id, _range(db_session, dso, date(2026, 11, 1), date(2026, 11, 30))))
    event = db_session.scalar(select(Event).where(Event.event_type == "employer.updated"))
    name = f"{student.given_name} {student.surname}"
    assert rows == [
        [
            student.sevis_id,
            name,
            "Employer changed",
            "Northwind Freight",
            "Full or part time",
            "Full time",
            "Part time",
            "2026-11-05 10:07 EST",
            actor.label,
            f"E{event.id}",
            None,
            None,
        ],
        [
            student.sevis_id,
            name,
            "Employer changed",
            "Northwind Freight",
            "Job title",
            "Dispatcher",
            "Senior Dispatcher",
            "2026-11-05 10:07 EST",
            actor.label,
            f"E{event.id}",
            None,
            None,
        ],
    ]


def test_a_change_to_enter_by_hand_is_flagged_in_the_rows(factory, db_session, school, dso, student_actor):
    student, actor = student_actor
    with time_machine.travel(datetime(2026, 10, 5, 15, tzinfo=UTC), tick=False):
        kept = add_employer(db_session, student, employer_data(student, name="Sent Co"), actor=actor)
    with time_machine.travel(datetime(2026, 11, 5, 15, tzinfo=UTC), tick=False):
        delete_employer(db_session, kept, actor=actor, confirmed_never_worked=True)
        never = add_employer(db_session, student, employer_data(student, name="Never Co", ein="987654321"), actor=actor)
        delete_employer(db_session, never, actor=actor, confirmed_never_worked=True)
        update_phone(db_session, student, "+44 20 7946 0958", actor=actor, expected_version=student.version)
    rows = list(change_rows(db_session, school.id, _range(db_session, dso, date(2026, 11, 1), date(2026, 11, 30))))
    flagged = {(row[2], row[3]) for row in rows if row[10] == "yes"}
    assert flagged == {("Employer deleted", "Sent Co"), ("Phone number changed", "")}


def _xml(db_session, school, change_range, schema) -> str:
    records = list(xml_records(db_session, school.id, change_range, user_id="0000000001"))
    if not records:
        return ""
    xml = b"".join(xml_single(iter(records), school=school, user_id="0000000001", download_id=1)).decode()
    schema.validate(xml)
    return xml


def _range(db_session, dso, start, end, kinds=tuple(ChangeKind)):
    return resolve_range(db_session, dso, start=start, end=end, since_last=False, kinds=kinds, now=NOW)


@pytest.fixture
def student_actor(factory, school):
    student = factory.student(school=school)
    return student, Actor.for_user(factory.user(role=Role.STUDENT, student=student))


def test_download_marks_are_kept_per_official(factory, db_session, school, dso):
    other = Actor.for_user(factory.user(role=Role.DSO, school=school))
    record_download(db_session, dso, fmt=ExportFormat.CSV, change_range=_everything(db_session, dso), row_count=0)
    fresh = resolve_range(db_session, other, start=None, end=None, since_last=True, kinds=tuple(ChangeKind), now=NOW)
    assert fresh.covers_from.year == 2000
    assert db_session.scalar(select(ChangeListDownload).where(ChangeListDownload.user_id == other.user_id)) is None


def test_each_row_shows_when_it_changed_in_eastern_time_with_daylight_saving(factory, db_session, school, dso):
    student = factory.student(school=school)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    for instant in (
        datetime(2026, 1, 15, 17, 30, 5, tzinfo=UTC),
        datetime(2026, 1, 15, 17, 30, 50, tzinfo=UTC),
        datetime(2026, 7, 15, 17, 30, tzinfo=UTC),
    ):
        with time_machine.travel(instant, tick=False):
            record_event(
                db_session,
                actor,
                "contact.phone_changed",
                student=student,
                before={"phone": "1"},
                after={"phone": "2"},
                change_kind=ChangeKind.CONTACT,
                subject=f"student:{student.id}",
            )
    db_session.flush()
    rows = list(change_rows(db_session, school.id, _everything(db_session, dso, (ChangeKind.CONTACT,))))
    assert [row[7] for row in rows] == ["2026-01-15 12:30 EST", "2026-01-15 12:30 EST", "2026-07-15 13:30 EDT"]
    assert rows[0][4:7] == ["Phone number", "1", "2"]


def test_a_change_keeps_its_text_as_the_list_shows_it_and_other_events_none(factory, db_session, school, dso):
    student = factory.student(school=school)
    before = {"id": 4, "name": "Old & Co", "city": "Boston", "self_employed": False, "end_date": None, "zip": "02110"}
    after = {"id": 4, "name": 'New, "Co"', "city": "Boston", "self_employed": True, "end_date": "2027-01-31"}
    change = record_event(
        db_session,
        dso,
        "employer.updated",
        student=student,
        before=before,
        after=after,
        change_kind=ChangeKind.EMPLOYER,
    )
    other = record_event(db_session, dso, "email.sent", student=student, after={"template": "x"})
    assert (
        change.changes
        == changes_text(before, after)
        == ('end_date:  -> 2027-01-31; name: Old & Co -> New, "Co"; self_employed: False -> True; zip: 02110 -> ')
    )
    assert change.fields == [
        ["end_date", "", "2027-01-31"],
        ["name", "Old & Co", 'New, "Co"'],
        ["self_employed", "No", "Yes"],
        ["zip", "02110", ""],
    ]  # the list's rows, one per field
    assert other.changes is None and other.fields is None
    assert changes_text(None, {"phone": "1", "id": 2}) == "phone:  -> 1" and changes_text({"a": 1}, {"a": True}) == ""


def _awkward_changes(db_session, factory, school):
    """Names, labels and values that need quoting, escaping or defusing; a change recorded before events kept their
    text (migration 0010), one with values only Python writes right, across a daylight-saving change."""
    student = factory.student(school=school, surname='=O"Brien, <Jr> & Sons', given_name=" Ana\u00a0")
    user = factory.user(role=Role.STUDENT, student=student)
    user.display_name = "-Student\ttab"
    actor = Actor.for_user(user)
    values = [
        ({"phone": "1"}, {"phone": "+1 617\n555"}),
        (None, {"line1": "5 Elm\\St", "kind": "physical"}),
        ({"note": "bell\x07"}, {"note": "@once "}),
        ({"a": 1.5, "b": [1, "x"]}, {"a": 2.0, "b": {"k": None}}),
    ]
    for day, (before, after) in enumerate(values):
        with time_machine.travel(datetime(2026, 3, 6 + day * 2, 7, 59, tzinfo=UTC), tick=False):
            record_event(
                db_session,
                actor,
                "contact.phone_changed",
                student=student,
                before=before,
                after=after,
                change_kind=ChangeKind.CONTACT,
                reported_late=day % 2 == 0,
            )
    db_session.add(
        Event(
            occurred_at=datetime(2026, 3, 20, tzinfo=UTC),
            student_id=student.id,
            school_id=school.id,
            actor_kind=actor.kind,
            actor_label="Before 0010",
            event_type="employer.updated",
            change_kind=ChangeKind.EMPLOYER,
            before={"id": 1, "city": "A"},
            after={"id": 1, "city": "B"},
        )
    )
    db_session.flush()


def test_a_past_range_leaves_the_since_my_last_download_mark(db_session, dso):
    first = resolve_range(db_session, dso, start=None, end=None, since_last=True, kinds=tuple(ChangeKind), now=NOW)
    record_download(db_session, dso, fmt=ExportFormat.CSV, change_range=first, row_count=0)
    past = resolve_range(
        db_session,
        dso,
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        since_last=False,
        kinds=tuple(ChangeKind),
        now=NOW + timedelta(days=1),
    )
    record_download(db_session, dso, fmt=ExportFormat.XLSX, change_range=past, row_count=0)
    assert since_mark(db_session, dso.user_id) == NOW
    later = resolve_range(
        db_session, dso, start=None, end=None, since_last=True, kinds=tuple(ChangeKind), now=NOW + timedelta(days=2)
    )
    assert later.covers_from == NOW


DOWNLOADS = st.lists(
    st.one_of(
        st.tuples(st.just("since"), st.integers(0, 2000)),
        st.tuples(st.just("past"), st.integers(0, 2000), st.integers(0, 400)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(downloads=DOWNLOADS)
def test_the_mark_never_moves_backwards_whatever_the_order_of_downloads(factory, db_session, school, downloads):
    official = Actor.for_user(factory.user(role=Role.DSO, school=school))
    base = datetime(2026, 1, 1, tzinfo=UTC)
    marks = [since_mark(db_session, official.user_id)]
    for download in downloads:
        if download[0] == "since":
            change_range = resolve_range(
                db_session,
                official,
                start=None,
                end=None,
                since_last=True,
                kinds=tuple(ChangeKind),
                now=base + timedelta(hours=download[1]),
            )
        else:
            first = date(2026, 1, 1) + timedelta(days=download[1] // 24)
            change_range = resolve_range(
                db_session,
                official,
                start=first,
                end=first + timedelta(days=download[2]),
                since_last=False,
                kinds=tuple(ChangeKind),
                now=base + timedelta(days=800),
            )
        record_download(db_session, official, fmt=ExportFormat.CSV, change_range=change_range, row_count=0)
        marks.append(since_mark(db_session, official.user_id))
        if download[0] == "past":
            assert marks[-1] == marks[-2]  # a look at a past range leaves it
    known = [mark for mark in marks if mark is not None]
    assert known == sorted(known)
    if known:  # once set, it stays set
        assert None not in marks[marks.index(known[0]) :]


def test_a_download_fetched_again_is_the_same_list_though_changes_arrived_since(
    factory, db_session, school, dso, student_actor, schema
):
    student, actor = student_actor
    add_employer(db_session, student, employer_data(student), actor=actor)
    change_range = resolve_range(
        db_session, dso, start=None, end=None, since_last=True, kinds=tuple(ChangeKind), now=NOW
    )
    first = b"".join(change_list_csv(db_session, school.id, change_range))
    first_xml = _xml(db_session, school, change_range, schema)
    download = record_download(db_session, dso, fmt=ExportFormat.CSV, change_range=change_range, row_count=1)
    # A change recorded afterwards with a time inside the range (a slow transaction) is not in the list again.
    add_employer(db_session, student, employer_data(student, name="Later Co"), actor=actor)
    again = range_of(db_session.get(ChangeListDownload, download.id))
    assert b"".join(change_list_csv(db_session, school.id, again)) == first
    assert _xml(db_session, school, again, schema) == first_xml and "Later Co" not in first_xml
