"""Employers: the OPT start, late reporting, confirmed deletes, restores, STEM rules."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import ChangeKind, EmployerReview, Role
from portal.services.access import student_access
from portal.services.actors import Actor
from portal.services.clock import EASTERN
from portal.services.employers import (
    add_employer,
    delete_employer,
    employers_for_staff,
    restore_employer,
    update_employer,
    visible_employers,
)
from portal.services.errors import Conflict, InvalidValue, NotAllowed, RuleBroken, StaleEdit
from tests.support.factories import employer_form_data as valid
from tests.support.stem import i983_document, stem_student
from tests.unit.conftest import TODAY


def test_add_employer_cleans_values_and_writes_an_event(db_session, student, actor):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    assert (employer.ein, employer.supervisor_phone, employer.supervisor_email) == (
        "123456789",
        "6175550100",
        "ada@example.com",
    )
    assert employer.review_status is EmployerReview.NOT_NEEDED and employer.reported_late is False
    event = db_session.scalar(select(Event).where(Event.event_type == "employer.added", Event.student_id == student.id))
    assert event.change_kind is ChangeKind.EMPLOYER and event.after["name"] == "Acme Analytics LLC"
    assert event.subject == f"employer:{employer.id}"


def test_start_date_before_the_opt_start_is_refused(db_session, student, actor):
    with pytest.raises(RuleBroken, match="cannot be before your OPT starts on January 1, 2026") as error:
        add_employer(db_session, student, valid(start_date="2025-12-31"), actor=actor, today=TODAY)
    assert error.value.field == "start_date"


@pytest.mark.parametrize(("days_ago", "late"), [(0, False), (10, False), (11, True), (50, True)])
def test_start_more_than_ten_days_ago_is_accepted_but_marked_reported_late(db_session, student, actor, days_ago, late):
    start = TODAY - timedelta(days=days_ago)
    employer = add_employer(db_session, student, valid(start_date=start.isoformat()), actor=actor, today=TODAY)
    assert employer.reported_late is late
    event = db_session.scalar(select(Event).where(Event.subject == f"employer:{employer.id}"))
    assert event.reported_late is late


def test_data_feed_employers_are_not_marked_late(db_session, student):
    feed = Actor.data_feed(student.school_id)
    employer = add_employer(db_session, student, valid(start_date="2026-01-05"), actor=feed, today=TODAY)
    assert employer.reported_late is False


@pytest.mark.parametrize("match", ["same EIN", "same name and start date"])
def test_adding_an_employer_matching_a_deleted_one_is_stopped(db_session, student, actor, match):
    first = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    delete_employer(db_session, first, actor=actor, confirmed_never_worked=True, today=TODAY)
    again = valid(name="Acme Renamed Inc") if match == "same EIN" else valid(ein="")
    deleted_on = first.deleted_at.astimezone(EASTERN).date()
    expected = (
        f"You deleted this employer on {deleted_on:%B} {deleted_on.day}, {deleted_on.year}. "
        "Contact your DSO to restore it instead of adding it again."
    )
    with pytest.raises(Conflict) as error:
        add_employer(db_session, student, again, actor=actor, today=TODAY)
    assert error.value.message == expected


def test_a_deleted_employer_without_an_ein_does_not_stop_another_without_one(db_session, student, actor):
    first = add_employer(db_session, student, valid(ein=""), actor=actor, today=TODAY)
    delete_employer(db_session, first, actor=actor, confirmed_never_worked=True, today=TODAY)
    other = add_employer(db_session, student, valid(name="Globex Corporation", ein=""), actor=actor, today=TODAY)
    assert other.id != first.id and other.ein is None


def test_delete_refused_without_never_worked_confirmation(db_session, student, actor):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    with pytest.raises(RuleBroken, match="I have never worked for this employer"):
        delete_employer(db_session, employer, actor=actor, confirmed_never_worked=False, today=TODAY)
    assert employer.deleted_at is None


def test_delete_is_soft_writes_a_change_list_event_and_a_replay_is_a_conflict(db_session, student, actor):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True, today=TODAY)
    assert employer.deleted_at is not None and employer.id is not None
    event = db_session.scalar(select(Event).where(Event.event_type == "employer.deleted"))
    assert event.change_kind is ChangeKind.EMPLOYER and event.before["name"] == employer.name and event.after is None
    assert visible_employers(db_session, student_access(db_session, student, today=TODAY)) == []
    with pytest.raises(Conflict, match="already deleted"):
        delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True, today=TODAY)


def test_only_a_dso_restores_and_only_a_deleted_employer(db_session, student, actor, dso):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    with pytest.raises(Conflict, match="This employer is not deleted."):
        restore_employer(db_session, employer, actor=dso)
    delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True, today=TODAY)
    with pytest.raises(NotAllowed):
        restore_employer(db_session, employer, actor=actor)
    restore_employer(db_session, employer, actor=dso)
    assert employer.deleted_at is None
    assert (
        db_session.scalar(select(Event).where(Event.event_type == "employer.restored")).actor_kind.value
        == "school_official"
    )


def test_dso_adding_a_deleted_match_is_told_to_restore(db_session, student, actor, dso):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True, today=TODAY)
    with pytest.raises(Conflict, match="The student deleted this employer on .* Restore it"):
        add_employer(db_session, student, valid(), actor=dso, today=TODAY)


def test_stale_edit_is_refused_with_the_current_values(db_session, student, actor, dso):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    opened_version = employer.version
    update_employer(
        db_session, employer, {"job_title": "Senior Analyst"}, actor=dso, expected_version=opened_version, today=TODAY
    )
    with pytest.raises(StaleEdit) as error:
        update_employer(
            db_session, employer, {"job_title": "Analyst II"}, actor=actor, expected_version=opened_version, today=TODAY
        )
    assert error.value.current["job_title"] == "Senior Analyst"
    assert employer.job_title == "Senior Analyst"


def test_update_records_before_and_after_of_changed_fields(db_session, student, actor):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    update_employer(
        db_session,
        employer,
        {"job_title": "Lead Analyst", "end_date": "2026-06-30"},
        actor=actor,
        expected_version=employer.version,
        today=TODAY,
    )
    event = db_session.scalar(select(Event).where(Event.event_type == "employer.updated"))
    assert event.before == {
        "id": employer.id,
        "name": "Acme Analytics LLC",
        "end_date": None,
        "job_title": "Data Analyst",
    }
    assert event.after["job_title"] == "Lead Analyst" and event.after["end_date"] == "2026-06-30"
    assert event.change_kind is ChangeKind.EMPLOYER


def test_name_change_asks_whether_this_is_a_new_job(db_session, student, actor):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    with pytest.raises(RuleBroken, match="Is this a new job|If this is a new job") as error:
        update_employer(
            db_session, employer, {"name": "Globex"}, actor=actor, expected_version=employer.version, today=TODAY
        )
    assert error.value.field == "name" and employer.name == "Acme Analytics LLC"
    update_employer(
        db_session,
        employer,
        {"name": "Globex", "same_job_confirmed": "y"},
        actor=actor,
        expected_version=employer.version,
        today=TODAY,
    )
    assert employer.name == "Globex"


def test_bad_value_on_update_changes_nothing(db_session, student, actor):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    with pytest.raises(InvalidValue):
        update_employer(
            db_session,
            employer,
            {"job_title": "Lead", "postal_code": "abc"},
            actor=actor,
            expected_version=employer.version,
            today=TODAY,
        )
    assert employer.job_title == "Data Analyst"


def test_read_only_student_cannot_add(db_session, student, actor):
    with pytest.raises(NotAllowed, match="OPT ended on December 31, 2026"):
        add_employer(db_session, student, valid(), actor=actor, today=date(2027, 2, 1))


def test_support_never_changes_an_employer(db_session, factory, student):
    support = Actor.for_user(factory.user(role=Role.SUPPORT))
    with pytest.raises(NotAllowed):
        add_employer(db_session, student, valid(), actor=support, today=TODAY)


def test_new_stem_employer_needs_its_i983_and_waits_for_school_review(db_session, factory):
    student = stem_student(factory)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    with pytest.raises(RuleBroken, match="Form I-983") as error:
        add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    assert error.value.field == "i983"
    document = i983_document(db_session, student)
    employer = add_employer(db_session, student, valid(i983_document=document), actor=actor, today=TODAY)
    assert employer.review_status is EmployerReview.WAITING and document.employer_id == employer.id
    assert employer.opt_authorization.kind.value == "stem"


def test_stem_student_may_edit_only_job_title_supervisor_and_end_date(db_session, factory):
    student = stem_student(factory)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    employer = add_employer(
        db_session, student, valid(i983_document=i983_document(db_session, student)), actor=actor, today=TODAY
    )
    update_employer(
        db_session,
        employer,
        {"job_title": "Engineer", "supervisor_last_name": "Hopper", "end_date": "2026-12-01"},
        actor=actor,
        expected_version=employer.version,
        today=TODAY,
    )
    assert employer.job_title == "Engineer"
    with pytest.raises(NotAllowed, match="only the job title, the supervisor and the end date"):
        update_employer(
            db_session,
            employer,
            {"city": "Cambridge", "postal_code": "02139"},
            actor=actor,
            expected_version=employer.version,
            today=TODAY,
        )


def test_post_completion_employment_is_editable_while_stem_is_pending(db_session, factory):
    student = factory.student(opt_start=date(2025, 1, 1), opt_end=date(2025, 12, 31), today=TODAY)
    stem = factory.stem_opt(student, status="pending")
    stem.created_at = datetime(2025, 11, 1, 15, tzinfo=UTC)  # timely: filed before the post-completion OPT ended
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    employer = factory.employer(student, start_date=date(2025, 2, 1))
    update_employer(
        db_session,
        employer,
        {"end_date": "2025-12-31"},
        actor=actor,
        expected_version=employer.version,
        today=date(2026, 2, 1),
    )
    assert employer.end_date == date(2025, 12, 31)


def test_denied_stem_employers_are_hidden(db_session, factory):
    student = factory.student(opt_start=date(2025, 1, 1), opt_end=date(2025, 12, 31), today=TODAY)
    stem = factory.stem_opt(student, status="denied")
    factory.employer(student, opt_authorization=stem, start_date=stem.start_date, name="Hidden Co")
    shown = factory.employer(student, start_date=date(2025, 3, 1))
    assert visible_employers(db_session, student_access(db_session, student, today=TODAY)) == [shown]


def test_staff_list_includes_deleted_employers(db_session, student, actor):
    employer = add_employer(db_session, student, valid(), actor=actor, today=TODAY)
    delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True, today=TODAY)
    assert employers_for_staff(db_session, student) == [employer]
