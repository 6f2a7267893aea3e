"""What a SEVIS batch cannot carry is entered by hand: deletions of employers SEVIS holds, STEM reviews, documents, removed mailing addresses."""

from datetime import UTC, date, datetime

import time_machine

from portal.models.enums import AddressKind, ChangeKind
from portal.services.change_lists import by_hand
from portal.services.contact import remove_mailing_address, update_address
from portal.services.employers import add_employer, delete_employer, update_employer
from portal.services.events import record_event
from tests.unit import test_change_lists as change_list_cases
from tests.unit.test_change_lists import _everything, _range, _xml, employer_data

# The change lists' own fixtures, shared with test_change_lists.py (school and dso come from tests/unit/conftest.py).
schema, student_actor = change_list_cases.schema, change_list_cases.student_actor


def test_a_deleted_employer_is_never_an_add_and_its_deletion_is_entered_by_hand(
    db_session, school, dso, schema, student_actor
):
    student, actor = student_actor
    with time_machine.travel(datetime(2026, 10, 5, 15, tzinfo=UTC), tick=False):
        employer = add_employer(db_session, student, employer_data(student, name="Harbor Health Partners"), actor=actor)
    with time_machine.travel(datetime(2026, 11, 5, 15, tzinfo=UTC), tick=False):
        update_employer(
            db_session,
            employer,
            employer_data(student, name="Harbor Health Partners", job_title="Nurse"),
            actor=actor,
            expected_version=employer.version,
        )
        delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True)
    november = _range(db_session, dso, date(2026, 11, 1), date(2026, 11, 30))
    assert _xml(db_session, school, november, schema) == ""
    [entry] = by_hand(db_session, school.id, november)
    assert entry.which == "Harbor Health Partners" and entry.what.startswith("Employer deleted")
    assert entry.sevis_id == student.sevis_id and entry.reference.startswith("E")


def test_a_stem_review_is_entered_by_hand(factory, db_session, school, dso, student_actor):
    student, _ = student_actor
    record_event(
        db_session,
        dso,
        "employer.reviewed",
        student=student,
        change_kind=ChangeKind.EMPLOYER,
        subject="employer:999999",
        before={"id": 999999, "name": "Acme", "review_status": "waiting"},
        after={"id": 999999, "name": "Acme", "review_status": "returned", "note": "Sign page 3"},
    )
    [entry] = by_hand(db_session, school.id, _everything(db_session, dso))
    assert entry.what == "STEM employer reviewed" and entry.which == "Acme"
    assert "Returned to the student: Sign page 3" in entry.detail


def test_a_document_is_entered_by_hand(db_session, school, dso, student_actor):
    student, actor = student_actor
    record_event(
        db_session,
        actor,
        "document.uploaded",
        student=student,
        change_kind=ChangeKind.DOCUMENT,
        subject="document:1",
        after={"kind": "Form I-983", "filename": "i983.pdf", "size_bytes": 10},
    )
    [entry] = by_hand(db_session, school.id, _everything(db_session, dso))
    assert entry.which == "Form I-983" and "i983.pdf" in entry.detail


def test_a_removed_mailing_address_is_entered_by_hand(db_session, school, dso, schema, student_actor):
    student, actor = student_actor
    update_address(
        db_session,
        student,
        AddressKind.MAILING,
        {"line1": "PO Box 12", "city": "Boston", "state": "MA", "postal_code": "02115"},
        actor=actor,
        expected_version=None,
    )
    remove_mailing_address(db_session, student, actor=actor, expected_version=student.version)
    [entry] = by_hand(db_session, school.id, _everything(db_session, dso))
    assert entry.what == "Mailing address removed"
    assert _xml(db_session, school, _everything(db_session, dso), schema) == ""  # added then removed: nothing
