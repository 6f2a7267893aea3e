"""STEM duties the student fulfils (rule 15): confirm my details, upload the Form I-983 evaluations, the DSO's review."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import DocumentKind, ObligationKind, Role
from portal.services.actors import Actor
from portal.services.clock import add_months
from portal.services.errors import Conflict, InvalidValue, NotAllowed, RuleBroken
from portal.services.obligations import stem_obligations, sync_stem_obligations
from portal.services.opt_decisions import complete_record_early
from portal.services.stem_duties import confirm_stem_details, review_evaluation, upload_i983_evaluation
from portal.services.timeline import DutyKind
from tests.support.files import pdf

TODAY = date(2026, 6, 15)


def _stem_student(factory, stem_start):
    student = factory.student(
        opt_start=stem_start - timedelta(days=365), opt_end=stem_start - timedelta(days=1), today=TODAY
    )
    factory.stem_opt(student, start=stem_start)
    factory.address(student, line1="12 Main Street", city="Boston")
    return student


def _actor(factory, student):
    return Actor.for_user(factory.user(role=Role.STUDENT, student=student))


def _confirmation(db_session, student, months):
    return next(
        o
        for o in stem_obligations(db_session, student)
        if o.kind is ObligationKind.STEM_VALIDATION and o.description.startswith(f"STEM OPT {months}-month")
    )


# (STEM start, day): the six-month confirmation opens 30 days before the mark and is due 10 days after it.
@pytest.mark.parametrize(
    ("days_to_mark", "open_"),
    [
        (31, False),  # the day before it opens
        (30, True),  # opens
        (0, True),  # the mark
        (-10, True),  # due
        (-40, True),  # overdue: still asked for
    ],
)
def test_details_are_confirmed_only_while_a_confirmation_is_open(factory, db_session, days_to_mark, open_):
    stem_start = add_months(TODAY + timedelta(days=days_to_mark), -6)
    student = _stem_student(factory, stem_start)
    actor = _actor(factory, student)
    if not open_:
        with pytest.raises(Conflict, match="nothing to confirm now.*opens on"):
            confirm_stem_details(db_session, student, actor=actor, details_correct=True, today=TODAY)
        return
    (obligation,) = confirm_stem_details(db_session, student, actor=actor, details_correct=True, today=TODAY)
    assert obligation == _confirmation(db_session, student, 6)
    assert obligation.submission["details_correct"] is True and obligation.submitted_at is not None


def test_the_confirmation_stores_what_the_student_saw_and_said_on_the_obligation_with_an_event(factory, db_session):
    student = _stem_student(factory, add_months(TODAY, -6))
    employer = factory.employer(student, name="Initech", start_date=add_months(TODAY, -6))
    employer.opt_authorization = student.program_records[-1].opt_authorizations[-1]
    employer.review_status = employer.review_status.ACCEPTED
    db_session.flush()
    (obligation,) = confirm_stem_details(
        db_session,
        student,
        actor=_actor(factory, student),
        details_correct=False,
        changes="I moved to 5 Elm Street, Cambridge MA 02139 on June 1.",
        today=TODAY,
    )
    assert obligation.submission == {
        "name": student.full_name,
        "physical_address": "12 Main Street, Boston, MA 02110",
        "employer": "Initech",
        "employment_status": f"Employed full time since {add_months(TODAY, -6):%B} {add_months(TODAY, -6).day}, 2025",
        "details_correct": False,
        "changes": "I moved to 5 Elm Street, Cambridge MA 02139 on June 1.",
        "submitted_on": "2026-06-15",
    }
    (event,) = db_session.scalars(select(Event).where(Event.event_type == "stem.details_confirmed")).all()
    assert event.subject == f"obligation:{obligation.id}" and event.after["changes"].startswith("I moved")


def test_something_changed_needs_to_say_what(factory, db_session):
    student = _stem_student(factory, add_months(TODAY, -6))
    with pytest.raises(RuleBroken, match="what changed") as error:
        confirm_stem_details(
            db_session, student, actor=_actor(factory, student), details_correct=False, changes=" ", today=TODAY
        )
    assert error.value.field == "changes"


def test_only_the_student_confirms_and_a_closed_duty_is_not_asked(factory, db_session):
    student = _stem_student(factory, add_months(TODAY, -6))
    dso = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    with pytest.raises(NotAllowed):
        confirm_stem_details(db_session, student, actor=dso, details_correct=True, today=TODAY)
    complete_record_early(db_session, student.program_records[-1], actor=dso, completed_on=TODAY, today=TODAY)
    with pytest.raises((Conflict, NotAllowed)):
        confirm_stem_details(db_session, student, actor=_actor(factory, student), details_correct=True, today=TODAY)


# --- Evaluations ---------------------------------------------------------------------------------


def _upload(db_session, student, actor, opt, kind, tmp_path, data=None):
    return upload_i983_evaluation(
        db_session,
        student,
        opt,
        kind,
        io.BytesIO(data or pdf()),
        "My evaluation.pdf",
        actor=actor,
        upload_dir=str(tmp_path),
        today=TODAY,
    )


def test_an_evaluation_lands_on_its_obligation_and_the_dso_marks_it_reviewed(factory, db_session, tmp_path):
    student = _stem_student(factory, add_months(TODAY, -12))
    actor = _actor(factory, student)
    opt = student.program_records[-1].opt_authorizations[-1]
    document = _upload(db_session, student, actor, opt, DutyKind.I983_EVALUATION, tmp_path)
    obligation = next(o for o in stem_obligations(db_session, student) if o.kind is ObligationKind.I983_EVALUATION)
    assert document.kind is DocumentKind.I983_EVALUATION and document.obligation_id == obligation.id
    assert obligation.submission["filename"] == "My_evaluation.pdf"
    assert db_session.scalars(select(Event).where(Event.event_type == "document.evaluation_uploaded")).all()
    dso = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    review_evaluation(db_session, obligation, actor=dso)
    assert obligation.completed_at is not None and obligation.completed_by_user_id == dso.user_id
    with pytest.raises(Conflict, match="already reviewed"):
        _upload(db_session, student, actor, opt, DutyKind.I983_EVALUATION, tmp_path)


def test_an_evaluation_for_an_opt_that_is_not_stem_is_refused_on_the_field(factory, db_session, tmp_path):
    student = factory.student(opt_start=TODAY - timedelta(days=30), today=TODAY)
    opt = student.program_records[-1].opt_authorizations[-1]
    with pytest.raises(RuleBroken, match="not one") as error:
        _upload(db_session, student, _actor(factory, student), opt, DutyKind.I983_EVALUATION, tmp_path)
    assert error.value.field == "evaluation"
    assert list(tmp_path.iterdir()) == []  # nothing stored


def test_an_evaluation_gets_the_same_checks_as_every_upload(factory, db_session, tmp_path):
    student = _stem_student(factory, add_months(TODAY, -12))
    opt = student.program_records[-1].opt_authorizations[-1]
    with pytest.raises(InvalidValue, match="JavaScript") as error:
        _upload(
            db_session,
            student,
            _actor(factory, student),
            opt,
            DutyKind.I983_FINAL_EVALUATION,
            tmp_path,
            data=pdf(javascript="app.alert(1)"),
        )
    assert error.value.field == "file"


def test_reviewing_an_evaluation_not_uploaded_is_refused(factory, db_session):
    student = _stem_student(factory, add_months(TODAY, -12))

    sync_stem_obligations(db_session, student, actor=Actor.system())
    obligation = next(o for o in stem_obligations(db_session, student) if o.kind is ObligationKind.I983_EVALUATION)
    with pytest.raises(RuleBroken, match="not uploaded"):
        review_evaluation(
            db_session, obligation, actor=Actor.for_user(factory.user(role=Role.DSO, school=student.school))
        )
