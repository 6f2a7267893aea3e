"""STEM employers: the school accepts or returns one sent with its I-983; the student corrects a returned one."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import ChangeKind, EmployerReview, Role
from portal.services.actors import Actor
from portal.services.employers import add_employer
from portal.services.errors import Conflict, InvalidValue, NotAllowed, RuleBroken, StaleEdit
from portal.services.stem_employers import resubmit_stem_employer, review_stem_employer
from portal.services.timeline.database import student_timeline
from tests.support.factories import employer_form_data as valid
from tests.support.stem import i983_document, stem_student

TODAY = date(2026, 3, 1)


def test_dso_accepts_or_returns_a_waiting_stem_employer(db_session, factory):
    student = stem_student(factory)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    dso = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    employer = add_employer(
        db_session, student, valid(i983_document=i983_document(db_session, student)), actor=actor, today=TODAY
    )
    with pytest.raises(NotAllowed):
        review_stem_employer(db_session, employer, actor=actor, accept=True)
    with pytest.raises(InvalidValue, match="why"):
        review_stem_employer(db_session, employer, actor=dso, accept=False)
    review_stem_employer(db_session, employer, actor=dso, accept=True)
    assert employer.review_status is EmployerReview.ACCEPTED
    with pytest.raises(Conflict):
        review_stem_employer(db_session, employer, actor=dso, accept=True)


# --- A returned STEM employer: correct every field and resubmit with its I-983 (issue 11, finding 6) ---------------


def _returned(db_session, factory):
    student = stem_student(factory)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    dso = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    employer = add_employer(
        db_session, student, valid(i983_document=i983_document(db_session, student)), actor=actor, today=TODAY
    )
    review_stem_employer(db_session, employer, actor=dso, accept=False, note="The EIN on the I-983 differs.")
    return student, actor, dso, employer


def _second_i983(db_session, student, letter="e"):
    return i983_document(db_session, student, filename="i983-corrected.pdf", letter=letter, digit="1")


def test_a_returned_stem_employer_is_corrected_in_its_locked_fields_and_waits_for_review_again(db_session, factory):
    student, actor, dso, employer = _returned(db_session, factory)
    assert not student_timeline(db_session, student, TODAY).jobs[0].counts  # returned: never employment
    document = _second_i983(db_session, student)
    resubmit_stem_employer(
        db_session,
        employer,
        {"ein": "98-7654321", "city": "Cambridge", "postal_code": "02139", "i983_document": document},
        actor=actor,
        expected_version=employer.version,
        today=TODAY,
    )
    assert (employer.ein, employer.city, employer.review_status) == ("987654321", "Cambridge", EmployerReview.WAITING)
    assert document.employer_id == employer.id
    (event,) = db_session.scalars(select(Event).where(Event.event_type == "employer.resubmitted")).all()
    assert event.before["review_status"] == "returned" and event.after["ein"] == "987654321"
    assert event.change_kind is ChangeKind.EMPLOYER
    assert not student_timeline(db_session, student, TODAY).jobs[0].counts  # waiting: not yet employment
    review_stem_employer(db_session, employer, actor=dso, accept=True)  # the DSO reviews it again
    assert student_timeline(db_session, student, TODAY).jobs[0].counts


def test_a_resubmission_needs_the_corrected_i983_and_a_returned_employer(db_session, factory):
    student, actor, _dso, employer = _returned(db_session, factory)
    with pytest.raises(RuleBroken, match="Form I-983") as error:
        resubmit_stem_employer(
            db_session, employer, {"city": "Cambridge"}, actor=actor, expected_version=employer.version, today=TODAY
        )
    assert error.value.field == "i983" and employer.review_status is EmployerReview.RETURNED
    with pytest.raises(StaleEdit):
        resubmit_stem_employer(
            db_session,
            employer,
            {"i983_document": _second_i983(db_session, student)},
            actor=actor,
            expected_version=employer.version - 1,
            today=TODAY,
        )
    employer.review_status = EmployerReview.ACCEPTED
    with pytest.raises(Conflict, match="returned"):
        resubmit_stem_employer(
            db_session,
            employer,
            {"i983_document": _second_i983(db_session, student, "d")},
            actor=actor,
            expected_version=employer.version,
            today=TODAY,
        )
