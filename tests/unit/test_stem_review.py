"""What a DSO reads to review a STEM employer (its Form I-983 uploads newest first, the school's earlier decisions oldest
first, in words) and the reason a returned employer shows the student (the note of its latest return)."""

import itertools
from datetime import UTC, datetime

import time_machine

from portal.models import Document, Employer
from portal.models.enums import DocumentKind, EmployerReview, Role
from portal.services.actors import Actor
from portal.services.employers import add_employer
from portal.services.stem_employers import resubmit_stem_employer, review_stem_employer
from portal.services.stem_review import return_reasons, stem_review
from tests.support.factories import employer_form_data as valid
from tests.support.stem import i983_document, stem_student
from tests.unit.conftest import TODAY

_uploads = itertools.count()  # stored names are unique across every student's uploads


def at(day: int, hour: int = 15) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


class Desk:
    """A student on STEM OPT, the student acting, and a DSO of their school, with their employers' I-983s kept apart."""

    def __init__(self, db_session, factory, *, opt_year: int = 2025) -> None:
        self.session = db_session
        self.student = stem_student(factory, opt_year=opt_year)
        self.actor = Actor.for_user(factory.user(role=Role.STUDENT, student=self.student))
        self.dso = Actor.for_user(factory.user(role=Role.DSO, school=self.student.school))
        self.last_i983: Document | None = None

    def i983(self) -> Document:
        number = next(_uploads)
        letter, digit = "abcdefghijklmnopqrstuvwxyz"[number % 26], str(number % 10)
        self.last_i983 = i983_document(self.session, self.student, letter=letter, digit=digit)
        return self.last_i983

    def employer(self, name: str, ein: str) -> Employer:
        return add_employer(
            self.session,
            self.student,
            valid(name=name, ein=ein, i983_document=self.i983()),
            actor=self.actor,
            today=TODAY,
        )

    def review(self, employer: Employer, *, accept: bool, note: str = "") -> None:
        review_stem_employer(self.session, employer, actor=self.dso, accept=accept, note=note)

    def resubmit(self, employer: Employer) -> Document:
        document = self.i983()
        resubmit_stem_employer(
            self.session,
            employer,
            {"i983_document": document},
            actor=self.actor,
            expected_version=employer.version,
            today=TODAY,
        )
        return document


def test_stem_review_reads_the_i983s_newest_first_and_the_decisions_oldest_first_in_words(
    db_session, factory, count_queries
):
    desk = Desk(db_session, factory)
    with time_machine.travel(at(2), tick=False):
        employer = desk.employer("Acme Analytics LLC", "12-3456789")
        first_i983 = desk.last_i983
        other = desk.employer("Beta Labs Inc", "98-7654321")
    with time_machine.travel(at(3), tick=False):
        desk.review(employer, accept=False, note="The EIN on the I-983 differs.")
        desk.review(other, accept=False, note="Not this one.")  # another employer's decision is not read
    with time_machine.travel(at(4), tick=False):
        second_i983 = desk.resubmit(employer)
        deleted = desk.i983()
        deleted.employer_id, deleted.deleted_at = employer.id, at(4)  # a deleted upload is not read
        screenshot = desk.i983()
        screenshot.employer_id, screenshot.kind = employer.id, DocumentKind.SCREENSHOT  # nor another kind
    with time_machine.travel(at(5), tick=False):
        desk.review(employer, accept=True)
    db_session.flush()

    with count_queries() as counter:
        review = stem_review(db_session, employer)
    assert counter["count"] == 2

    assert review.i983s == [second_i983, first_i983]
    assert review.i983 is second_i983
    assert review.decisions == [
        (at(3), desk.dso.label, "Returned to the student", "The EIN on the I-983 differs."),
        (at(5), desk.dso.label, "Accepted", ""),
    ]
    assert [event.subject for event in review.reviews] == [f"employer:{employer.id}"] * 2


def test_stem_review_of_an_employer_not_yet_reviewed_has_its_i983_and_no_decisions(db_session, factory):
    desk = Desk(db_session, factory)
    employer = desk.employer("Acme Analytics LLC", "12-3456789")
    review = stem_review(db_session, employer)
    assert review.employer is employer and review.i983 is not None and review.i983.employer_id == employer.id
    assert review.reviews == [] and review.decisions == []


def test_stem_review_of_an_employer_without_an_i983_has_none(db_session, factory, student):
    review = stem_review(db_session, factory.employer(student))
    assert review.i983s == [] and review.i983 is None and review.decisions == []


def test_return_reasons_gives_the_latest_return_note_of_each_returned_employer_only(db_session, factory, count_queries):
    desk = Desk(db_session, factory)
    elsewhere = Desk(db_session, factory)
    with time_machine.travel(at(2), tick=False):
        returned = desk.employer("Acme Analytics LLC", "12-3456789")
        returned_twice = desk.employer("Beta Labs Inc", "98-7654321")
        accepted = desk.employer("Gamma Works LLC", "55-5555555")
        waiting = desk.employer("Delta Data LLC", "44-4444444")
        other_students = elsewhere.employer("Acme Analytics LLC", "12-3456789")
    with time_machine.travel(at(3), tick=False):
        desk.review(returned, accept=False, note="The EIN on the I-983 differs.")
        desk.review(returned_twice, accept=False, note="Sign page 5.")
        desk.review(accepted, accept=True)
        elsewhere.review(other_students, accept=False, note="Add the supervisor's email.")
    with time_machine.travel(at(4), tick=False):
        desk.resubmit(returned_twice)
    with time_machine.travel(at(5), tick=False):
        desk.review(returned_twice, accept=False, note="Page 5 is still unsigned.")
    db_session.flush()
    assert [e.review_status for e in (returned, returned_twice, accepted, waiting)] == [
        EmployerReview.RETURNED,
        EmployerReview.RETURNED,
        EmployerReview.ACCEPTED,
        EmployerReview.WAITING,
    ]

    with count_queries() as counter:
        reasons = return_reasons(db_session, [returned, returned_twice, accepted, waiting, other_students])
    assert counter["count"] == 1
    assert reasons == {
        returned.id: "The EIN on the I-983 differs.",
        returned_twice.id: "Page 5 is still unsigned.",
        other_students.id: "Add the supervisor's email.",
    }
    assert return_reasons(db_session, [returned]) == {returned.id: "The EIN on the I-983 differs."}


def test_return_reasons_reads_nothing_when_no_employer_is_returned(db_session, factory, count_queries):
    desk = Desk(db_session, factory)
    accepted = desk.employer("Acme Analytics LLC", "12-3456789")
    desk.review(accepted, accept=True)
    waiting = desk.employer("Beta Labs Inc", "98-7654321")
    db_session.flush()
    with count_queries() as counter:
        assert return_reasons(db_session, []) == {}
        assert return_reasons(db_session, [accepted, waiting]) == {}
    assert counter["count"] == 0
