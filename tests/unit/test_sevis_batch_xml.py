"""The change list as SEVIS batch XML: each student's changes folded to their net effect, valid against the XSD."""

from datetime import UTC, date, datetime

import time_machine

from portal.models.enums import AddressKind, Role
from portal.services.actors import Actor
from portal.services.change_lists import (
    by_hand,
    change_rows,
    count_changes,
)
from portal.services.contact import update_address, update_phone
from portal.services.employers import add_employer, delete_employer, restore_employer, update_employer
from portal.services.sevis.batch_files import xml_single
from portal.services.sevis.batch_xml import xml_records
from tests.unit import test_change_lists as change_list_cases
from tests.unit.test_change_lists import _everything, _range, _student_changes, _xml, employer_data

# The change lists' own fixtures, shared with test_change_lists.py (school and dso come from tests/unit/conftest.py).
schema, student_actor = change_list_cases.schema, change_list_cases.student_actor


def test_the_sevis_batch_xml_validates_against_the_schema(factory, db_session, school, dso, schema):
    _student_changes(db_session, factory, school)
    records = xml_records(db_session, school.id, _everything(db_session, dso), user_id="0000000001")
    xml = b"".join(xml_single(records, school=school, user_id="0000000001", download_id=1)).decode()
    schema.validate(xml)
    # Initech added then edited: one Add with the final values; Mistake Co added, deleted, restored: one Add.
    assert xml.count("<OPTEmployer><Add") == 2 and xml.count("<OPTEmployer><Edit") == 0
    assert "<StudentsJobTitle>Senior Analyst</StudentsJobTitle>" in xml and "<City>Cambridge</City>" in xml
    assert xml.count("<PersonalInfo") == 1 and "<USAddress>" in xml and "<MailingAddress>" in xml
    assert "Initech &amp; Sons" in xml


def test_an_employer_added_then_deleted_as_never_worked_is_not_sent(db_session, school, dso, schema, student_actor):
    student, actor = student_actor
    employer = add_employer(db_session, student, employer_data(student, name="Lakeview Software Co"), actor=actor)
    delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True)
    assert _xml(db_session, school, _everything(db_session, dso), schema) == ""
    assert by_hand(db_session, school.id, _everything(db_session, dso)) == []


def test_an_employer_added_then_edited_is_one_add_with_the_final_values(db_session, school, dso, schema, student_actor):
    student, actor = student_actor
    employer = add_employer(db_session, student, employer_data(student, job_title="Dispatcher"), actor=actor)
    update_employer(
        db_session,
        employer,
        employer_data(student, job_title="Senior Dispatcher"),
        actor=actor,
        expected_version=employer.version,
    )
    xml = _xml(db_session, school, _everything(db_session, dso), schema)
    assert xml.count("<Student ") == 1 and xml.count("<OPTEmployer><Add") == 1
    assert "Senior Dispatcher" in xml and ">Dispatcher<" not in xml


def test_an_employer_already_sent_and_then_edited_is_an_edit_of_what_changed(
    db_session, school, dso, schema, student_actor
):
    student, actor = student_actor
    with time_machine.travel(datetime(2026, 10, 5, 15, tzinfo=UTC), tick=False):
        employer = add_employer(db_session, student, employer_data(student, job_title="Dispatcher"), actor=actor)
    with time_machine.travel(datetime(2026, 11, 5, 15, tzinfo=UTC), tick=False):
        update_employer(
            db_session,
            employer,
            employer_data(student, job_title="Senior Dispatcher"),
            actor=actor,
            expected_version=employer.version,
        )
    xml = _xml(db_session, school, _range(db_session, dso, date(2026, 11, 1), date(2026, 11, 30)), schema)
    assert xml.count("<OPTEmployer><Edit") == 1 and "<OPTEmployer><Add" not in xml
    assert "<Employer><StudentsJobTitle>Senior Dispatcher</StudentsJobTitle></Employer>" in xml


def test_restoring_an_employer_already_sent_sends_nothing_new(factory, db_session, school, dso, schema, student_actor):
    student, actor = student_actor
    with time_machine.travel(datetime(2026, 10, 5, 15, tzinfo=UTC), tick=False):
        employer = add_employer(db_session, student, employer_data(student), actor=actor)
    with time_machine.travel(datetime(2026, 11, 5, 15, tzinfo=UTC), tick=False):
        delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True)
        restore_employer(db_session, employer, actor=dso)
    november = _range(db_session, dso, date(2026, 11, 1), date(2026, 11, 30))
    assert _xml(db_session, school, november, schema) == ""
    assert by_hand(db_session, school.id, november) == []


def test_an_international_phone_is_entered_by_hand_a_us_one_is_sent(db_session, school, dso, schema, student_actor):
    student, actor = student_actor
    update_phone(db_session, student, "617 555 0100", actor=actor, expected_version=student.version)
    xml = _xml(db_session, school, _everything(db_session, dso), schema)
    assert "<USNumber>6175550100</USNumber>" in xml
    update_phone(db_session, student, "+44 20 7946 0958", actor=actor, expected_version=student.version)
    [entry] = by_hand(db_session, school.id, _everything(db_session, dso))
    assert entry.what == "Phone number changed" and "+442079460958" in entry.detail


def test_nothing_from_the_sevis_data_feed_is_in_any_change_list(factory, db_session, school, dso, schema):
    student = factory.student(school=school)
    feed = Actor.data_feed(school.id)
    employer = add_employer(db_session, student, employer_data(student, name="From SEVIS Inc"), actor=feed)
    update_address(
        db_session,
        student,
        AddressKind.PHYSICAL,
        {"line1": "5 Elm St", "city": "Boston", "state": "MA", "postal_code": "02115"},
        actor=feed,
        expected_version=None,
    )
    everything = _everything(db_session, dso)
    assert count_changes(db_session, school.id, everything) == 0
    assert list(change_rows(db_session, school.id, everything)) == []
    assert _xml(db_session, school, everything, schema) == ""
    # The student then edits the employer SEVIS sent: an Edit, since SEVIS holds it.
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    update_employer(
        db_session,
        employer,
        employer_data(student, name="From SEVIS Inc", job_title="Lead"),
        actor=actor,
        expected_version=employer.version,
    )
    xml = _xml(db_session, school, _everything(db_session, dso), schema)
    assert xml.count("<OPTEmployer><Edit") == 1 and "From SEVIS Inc" in xml
