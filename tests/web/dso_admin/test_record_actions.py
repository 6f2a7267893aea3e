"""Record actions from the Student Information page: employer entry and edit, STEM review, correct, complete, transfer."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.models import Employer, Event, utcnow
from portal.models.enums import EmployerReview, ProgramStatus, Role
from portal.services.clock import EASTERN
from tests.web.conftest import HX


def _employer_form(student, **overrides):
    opt = student.program_records[-1].opt_authorizations[0]
    data = {
        "name": "Late Corp",
        "address_line1": "2 Main Street",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "employment_time": "full_time",
        "employment_type": "paid_employee",
        "start_date": (opt.start_date + timedelta(days=1)).isoformat(),
        "course_relevance": "Uses the degree.",
    }
    data.update(overrides)
    return data


def test_a_dso_enters_a_late_reported_employer(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    assert "Add an employer" in client.get(f"/admin/students/{student.sevis_id}/employers/new").get_data(as_text=True)
    response = client.post(f"/admin/students/{student.sevis_id}/employers/new", data=_employer_form(student))
    assert response.status_code == 303
    employer = db_session.scalar(select(Employer).where(Employer.student_id == student.id))
    assert employer.name == "Late Corp" and employer.reported_late


@pytest.mark.parametrize(
    "overrides",
    [{"name": ""}, {"name": "x" * 5000}, {"postal_code": "<b>"}, {"start_date": "1999-01-01"}, {"state": "ZZ"}],
)
def test_bad_employer_input_gets_a_message_never_a_500(client, factory, school, dso, overrides):
    student = factory.student(school=school)
    response = client.post(
        f"/admin/students/{student.sevis_id}/employers/new", data=_employer_form(student, **overrides)
    )
    assert response.status_code in (409, 422)


def test_a_dso_edits_an_employer_and_a_stale_form_is_refused(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    employer = factory.employer(student)
    url = f"/admin/students/{student.sevis_id}/employers/{employer.id}/edit"
    assert client.get(url).status_code == 200
    data = _employer_form(student, name="Renamed Co", version=str(employer.version), same_job_confirmed="y")
    assert client.post(url, data=data).status_code == 303
    db_session.refresh(employer)
    assert employer.name == "Renamed Co"
    assert client.post(url, data={**data, "version": "1"}).status_code == 409


@pytest.mark.parametrize("version", [None, ""], ids=["absent", "empty"])
def test_a_dso_employer_edit_without_its_version_is_422_asking_to_reload(
    client, factory, school, dso, db_session, version
):
    student = factory.student(school=school)
    employer = factory.employer(student)
    data = _employer_form(student, name="Renamed Co", same_job_confirmed="y")
    if version is not None:
        data["version"] = version
    response = client.post(f"/admin/students/{student.sevis_id}/employers/{employer.id}/edit", data=data)
    assert response.status_code == 422
    assert "Reload the page and make your changes again." in response.get_data(as_text=True)
    db_session.refresh(employer)
    assert employer.name != "Renamed Co"
    assert (
        db_session.scalar(select(Event).where(Event.event_type == "employer.updated", Event.student_id == student.id))
        is None
    )


def test_accept_and_return_a_stem_employer(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    waiting = factory.employer(student, review_status=EmployerReview.WAITING)
    other = factory.employer(student, name="Other", ein="987654321", review_status=EmployerReview.WAITING)
    base = f"/admin/students/{student.sevis_id}/employers"
    assert client.post(f"{base}/{waiting.id}/review", data={"decision": "accept"}).status_code == 303
    refused = client.post(f"{base}/{other.id}/review", data={"decision": "return"}, follow_redirects=True)
    assert "why" in refused.get_data(as_text=True)
    client.post(f"{base}/{other.id}/review", data={"decision": "return", "note": "Attach the signed I-983."})
    db_session.refresh(waiting)
    db_session.refresh(other)
    assert waiting.review_status is EmployerReview.ACCEPTED and other.review_status is EmployerReview.RETURNED


def test_complete_early_and_transfer_from_the_page(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    program = student.program_records[-1]
    new_school = factory.school()
    response = client.post(
        f"/admin/students/{student.sevis_id}/transfer",
        data={
            "education_level": "doctorate",
            "start_date": date.today().isoformat(),
            "end_date": (date.today() + timedelta(days=900)).isoformat(),
            "to_school": new_school.code,
        },
    )
    assert response.status_code == 303
    db_session.refresh(program)
    assert program.status is ProgramStatus.TRANSFERRED
    assert client.get(f"/admin/students/{student.sevis_id}").status_code == 404  # no longer this school's


def test_complete_early_twice_gets_a_message(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    url = f"/admin/students/{student.sevis_id}/programs/{student.program_records[-1].id}/complete"
    assert client.post(url).status_code == 303
    assert "already completed" in client.post(url, follow_redirects=True).get_data(as_text=True)
    assert db_session.scalar(
        select(Event).where(Event.event_type == "program.completed_early", Event.student_id == student.id)
    )


# (today, OPT end, a timely STEM request pending, the completion date chosen or None for today, the last day of
# read-only access the dialog names and the event records)
COMPLETION_DATES = [
    pytest.param(date(2026, 8, 15), date(2026, 8, 31), False, None, date(2027, 2, 28), id="today-aug-31-to-feb-28"),
    pytest.param(
        date(2026, 8, 15), date(2026, 8, 31), False, date(2026, 8, 1), date(2027, 2, 28), id="earlier-same-end"
    ),
    # During a pending STEM request's extension the completion ends authorized time: six months from the completion
    # date, not from the OPT end (which gives December 30, 2026).
    pytest.param(date(2026, 9, 15), date(2026, 6, 30), True, None, date(2027, 3, 15), id="stem-pending-today"),
    pytest.param(
        date(2026, 9, 15), date(2026, 6, 30), True, date(2026, 9, 1), date(2027, 3, 1), id="stem-pending-chosen"
    ),
    # Completed before the OPT end, the extension never starts: six months after the OPT end.
    pytest.param(
        date(2026, 9, 15), date(2026, 6, 30), True, date(2026, 6, 15), date(2026, 12, 30), id="stem-pending-before-end"
    ),
]


@pytest.mark.parametrize(("today", "opt_end", "stem_pending", "chosen", "last_day"), COMPLETION_DATES)
def test_the_complete_early_dialog_and_message_name_the_last_day_of_read_only_access(
    client, factory, school, sign_in, db_session, today, opt_end, stem_pending, chosen, last_day
):
    """The dialog names the day for the date chosen; completing on that date records it and the message names it."""
    words = f"Read-only access until {last_day:%B} {last_day.day}, {last_day.year}"
    with time_machine.travel(datetime.combine(today, time(12), tzinfo=EASTERN), tick=False):
        student = factory.student(school=school, opt_start=opt_end - timedelta(days=364), opt_end=opt_end, today=today)
        if stem_pending:
            factory.stem_opt(student, status="pending")
        sign_in(factory.user(role=Role.DSO, school=school))
        url = f"/admin/students/{student.sevis_id}/programs/{student.program_records[-1].id}/complete"
        query = {"completed_on": chosen.isoformat()} if chosen else {}
        completed_on = chosen or today
        dialog = client.get(url, query_string=query, headers=HX).get_data(as_text=True)
        assert (
            f"Completed on {completed_on:%B} {completed_on.day}, {completed_on.year}: <strong>{words}</strong>."
            in dialog
        )
        assert "six months after the OPT end date" not in dialog
        assert client.get(url, query_string=query).status_code == 200  # the same words on a page without JavaScript

        done = client.post(url, data=query, follow_redirects=True).get_data(as_text=True)
        assert f"Program record completed. {words}." in done
        (event,) = db_session.scalars(
            select(Event).where(Event.event_type == "program.completed_early", Event.student_id == student.id)
        ).all()
        assert event.after["read_only_until"] == last_day.isoformat()


@pytest.mark.parametrize(
    ("completed_on", "message"),
    [("2099-01-01", "The completion date cannot be in the future."), ("June 1", "Enter a date like 2026-03-31.")],
)
def test_a_bad_completion_date_in_the_dialog_gets_a_message_not_a_date(
    client, factory, school, dso, completed_on, message
):
    student = factory.student(school=school)
    url = f"/admin/students/{student.sevis_id}/programs/{student.program_records[-1].id}/complete"
    response = client.get(url, query_string={"completed_on": completed_on}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and "Read-only access until" not in body


def test_the_dialog_for_a_record_already_completed_says_so_and_cannot_be_submitted(client, factory, school, dso):
    student = factory.student(school=school)
    url = f"/admin/students/{student.sevis_id}/programs/{student.program_records[-1].id}/complete"
    assert client.post(url).status_code == 303
    body = client.get(url, headers=HX).get_data(as_text=True)
    assert "This program record is already completed." in body and "disabled" in body
    assert "Read-only access until" not in body


@pytest.mark.parametrize(
    "data",
    [
        {"education_level": "wizard"},
        {"education_level": "masters", "start_date": "x"},
        {"education_level": "masters", "start_date": "2026-01-01", "end_date": "2025-01-01"},
        {"education_level": "masters", "start_date": "2026-01-01", "end_date": "2027-01-01", "to_school": "NOPE"},
    ],
)
def test_bad_transfer_input_gets_a_message(client, factory, school, dso, data, db_session):
    student = factory.student(school=school)
    response = client.post(f"/admin/students/{student.sevis_id}/transfer", data=data, follow_redirects=True)
    assert response.status_code == 200 and "usa-alert--error" in response.get_data(as_text=True)
    assert student.program_records[-1].status is ProgramStatus.ACTIVE


def test_correct_an_opt_from_the_page(client, factory, school, dso, db_session):
    student = factory.student(school=school, opt="denied")
    opt = student.program_records[-1].opt_authorizations[0]
    url = f"/admin/students/{student.sevis_id}/opts/{opt.id}/correct"
    form = client.get(url).get_data(as_text=True)
    assert "Requested start" in form and "EAD valid from" in form and "Only for an approved OPT" in form
    without_ead = client.post(url, data={"status": "approved"})
    assert without_ead.status_code == 422 and 'id="actual_start_date-error"' in without_ead.get_data(as_text=True)
    ead = {"actual_start_date": opt.start_date.isoformat(), "actual_end_date": opt.end_date.isoformat()}
    assert client.post(url, data={"status": "approved", **ead}).status_code == 303
    db_session.refresh(opt)
    assert opt.status.value == "approved" and opt.actual_end_date == opt.end_date
    bogus = client.post(url, data={"status": "bogus"})
    assert bogus.status_code == 422 and "Choose a status from the list." in bogus.get_data(as_text=True)


def test_a_correction_to_denied_clears_the_ead_dates_the_form_still_shows(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    opt = student.program_records[-1].opt_authorizations[0]
    data = {
        "status": "denied",
        "start_date": opt.start_date.isoformat(),
        "end_date": opt.end_date.isoformat(),
        "actual_start_date": opt.actual_start_date.isoformat(),
        "actual_end_date": opt.actual_end_date.isoformat(),
    }
    assert client.post(f"/admin/students/{student.sevis_id}/opts/{opt.id}/correct", data=data).status_code == 303
    db_session.refresh(opt)
    assert (opt.status.value, opt.actual_start_date, opt.actual_end_date) == ("denied", None, None)


def test_another_schools_employer_and_opt_are_404(client, factory, school, dso):
    mine = factory.student(school=school)
    other = factory.student()
    foreign = factory.employer(other)
    opt = other.program_records[-1].opt_authorizations[0]
    assert client.get(f"/admin/students/{mine.sevis_id}/employers/{foreign.id}/edit").status_code == 404
    assert (
        client.post(f"/admin/students/{mine.sevis_id}/opts/{opt.id}/correct", data={"status": "approved"}).status_code
        == 404
    )


def _action_url(student, employer, action):
    """Where a record action lives: GET is its confirmation, POST (from the confirmation's form) acts."""
    base = f"/admin/students/{student.sevis_id}"
    return {
        "restore": f"{base}/employers/{employer.id}/restore",
        "complete": f"{base}/programs/{student.program_records[-1].id}/complete",
        "transfer": f"{base}/transfer",
    }[action]


@pytest.mark.parametrize("action", ["restore", "complete", "transfer"])
def test_the_page_asks_for_a_confirmation_in_the_modal_with_a_plain_link_fallback(client, factory, school, dso, action):
    student = factory.student(school=school)
    url = _action_url(student, factory.employer(student, deleted_at=utcnow()), action)
    page = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert f'href="{url}" hx-get="{url}" hx-target="#modal-root"' in page
    assert f'action="{url}"' not in page  # the page itself has no form that acts at once


@pytest.mark.parametrize("action", ["restore", "complete", "transfer"])
def test_the_confirmation_is_a_dialog_for_htmx_and_a_page_without_javascript(client, factory, school, dso, action):
    student = factory.student(school=school)
    url = _action_url(student, factory.employer(student, deleted_at=utcnow()), action)
    dialog = client.get(url, headers={"HX-Request": "true"})
    body = dialog.get_data(as_text=True)
    assert dialog.status_code == 200 and body.lstrip().startswith('<div class="portal-dialog" data-confirm-dialog')
    assert f'action="{url}"' in body and f'href="/admin/students/{student.sevis_id}" data-dismiss>Cancel</a>' in body
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert f'action="{url}"' in page.get_data(as_text=True) and "data-confirm-dialog" in page.get_data(as_text=True)


@pytest.mark.parametrize("action", ["restore", "complete", "transfer"])
def test_another_schools_confirmation_is_a_404(client, factory, dso, action):
    foreign = factory.student()
    url = _action_url(foreign, factory.employer(foreign, deleted_at=utcnow()), action)
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404


def test_confirmations_for_another_students_employer_or_record_are_a_404(client, factory, school, dso):
    mine = factory.student(school=school)
    theirs = factory.student(school=school)
    base = f"/admin/students/{mine.sevis_id}"
    assert client.get(f"{base}/employers/{factory.employer(theirs).id}/restore").status_code == 404
    assert client.get(f"{base}/programs/{theirs.program_records[-1].id}/complete").status_code == 404


def test_the_restore_confirmation_of_an_employer_not_deleted_says_so_and_cannot_be_submitted(
    client, factory, school, dso
):
    student = factory.student(school=school)
    employer = factory.employer(student)
    body = client.get(f"/admin/students/{student.sevis_id}/employers/{employer.id}/restore").get_data(as_text=True)
    assert "This employer is not deleted." in body and "disabled" in body


def test_the_complete_and_transfer_confirmations_carry_their_fields(client, factory, school, dso):
    student = factory.student(school=school)
    base = f"/admin/students/{student.sevis_id}"
    complete = client.get(f"{base}/programs/{student.program_records[-1].id}/complete", headers={"HX-Request": "true"})
    assert 'name="completed_on"' in complete.get_data(as_text=True)
    transfer = client.get(f"{base}/transfer", headers={"HX-Request": "true"}).get_data(as_text=True)
    for name in ("education_level", "major", "start_date", "end_date", "to_school"):
        assert f'name="{name}"' in transfer
