"""The dashboard and the employers page read the student's timeline: the same numbers and dates as
student_timeline on named days, no report prompts for a read-only student, and jobs labelled by dates (rule 17)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from portal.models.enums import EmployerReview, Role
from portal.services.clock import long_date
from portal.services.timeline.database import student_timeline
from tests.web.portal.conftest import TODAY, at

REPORT_PROMPTS = ("within 10 days", "Add employer", "report it")


def _no_job(factory):
    return factory.student(opt_start=TODAY - timedelta(days=9), today=TODAY)


def _gap_between_jobs(factory):
    student = factory.student(opt_start=TODAY - timedelta(days=60), today=TODAY)
    factory.employer(
        student, name="First Job", start_date=TODAY - timedelta(days=50), end_date=TODAY - timedelta(days=21)
    )
    factory.employer(student, name="Second Job", ein=None, start_date=TODAY - timedelta(days=5))
    return student


def _late_approval(factory):
    # Requested 70 days ago, approved today with an EAD valid from 5 days ago (finding 2): 6 days, not 71.
    student = factory.student(opt_start=TODAY - timedelta(days=70), today=TODAY)
    opt = student.program_records[-1].opt_authorizations[0]
    opt.actual_start_date, opt.actual_end_date = TODAY - timedelta(days=5), TODAY + timedelta(days=359)
    return student


def _stem_starting_next_year(factory):
    student = factory.student(opt_start=TODAY - timedelta(days=300), opt_end=TODAY + timedelta(days=300), today=TODAY)
    factory.employer(student, name="Post Job", start_date=TODAY - timedelta(days=300))
    factory.stem_opt(student, status="approved")
    return student


def _pending_stem_past_the_end(factory):
    student = factory.student(opt_start=TODAY - timedelta(days=400), opt_end=TODAY - timedelta(days=36), today=TODAY)
    stem = factory.stem_opt(student, status="pending")
    stem.created_at = datetime.combine(TODAY - timedelta(days=100), datetime.min.time(), tzinfo=UTC)  # timely
    return student


CASES = {
    "no job": _no_job,
    "gap between jobs": _gap_between_jobs,
    "late approval": _late_approval,
    "STEM starting next year": _stem_starting_next_year,
    "pending STEM past the end": _pending_stem_past_the_end,
}


def _meter(body):
    meter = re.search(r'<meter[^>]*id="unemployment-meter"[^>]*>', body, re.S).group(0)
    return int(re.search(r'value="(\d+)"', meter).group(1)), int(re.search(r'max="(\d+)"', meter).group(1))


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_dashboard_shows_the_timeline_numbers(client, factory, sign_in, db_session, case):
    with at(TODAY):
        student = CASES[case](factory)
        sign_in(factory.user(role=Role.STUDENT, student=student))
        body = client.get("/dashboard").get_data(as_text=True)
        timeline = student_timeline(db_session, student, TODAY)
    days = timeline.unemployment
    assert _meter(body) == (days.used, days.allowed)
    assert f"({days.remaining})</strong>" in body
    if days.exhausted:
        assert f"Your unemployment days ran out on <strong>{long_date(days.runs_out_on)}</strong>" in body
    elif days.runs_out_on is not None and days.runs_out_on >= TODAY:
        assert f"your unemployment days run out on <strong>{long_date(days.runs_out_on)}</strong>" in body
    else:
        assert 'id="unemployment-runs-out"' not in body
    for job in timeline.current_jobs:
        assert job.name in body.split('id="current-employers"')[1].split("</ul>")[0]
    if timeline.extension is not None:
        assert (
            f"Your STEM OPT request is pending; your authorization continues until "
            f"{long_date(timeline.extension.until)}."
        ) in body
    else:
        assert 'id="stem-pending"' not in body


def test_the_pinned_numbers_of_the_dated_cases(client, factory, sign_in, db_session):
    """The same cases with the numbers written out, so a change in the timeline shows here too."""
    # Pending STEM: the 365 days of the post-completion OPT without a job, and the extension's 36 so far.
    expected = {
        "no job": (10, 90),
        "gap between jobs": (10 + 15, 90),
        "late approval": (6, 90),
        "STEM starting next year": (0, 90),
        "pending STEM past the end": (365 + 36, 90),
    }
    with at(TODAY):
        for case, build in CASES.items():
            timeline = student_timeline(db_session, build(factory), TODAY)
            assert (timeline.unemployment.used, timeline.unemployment.allowed) == expected[case], case
    late = student_timeline(db_session, _late_approval(factory), TODAY).unemployment
    assert late.runs_out_on == TODAY - timedelta(days=5) + timedelta(days=89)


def test_a_pending_stem_past_the_end_keeps_reporting_open_and_says_until_when(client, factory, sign_in):
    with at(TODAY):
        student = _pending_stem_past_the_end(factory)
        sign_in(factory.user(role=Role.STUDENT, student=student))
        body = client.get("/dashboard").get_data(as_text=True)
    until = long_date(TODAY - timedelta(days=36) + timedelta(days=180))
    assert f"your authorization continues until {until}" in body
    assert 'data-action="add_employer"' in body and 'id="read-only-notice"' not in body


def _read_only_student(factory):
    # OPT ended 60 days ago: past the 15-day grace, read-only until six months after the end.
    student = factory.student(opt_start=TODAY - timedelta(days=425), opt_end=TODAY - timedelta(days=60), today=TODAY)
    factory.employer(
        student, name="Old Job", start_date=TODAY - timedelta(days=400), end_date=TODAY - timedelta(days=61)
    )
    return student


@pytest.mark.parametrize("path", ["/dashboard", "/employers"])
def test_a_read_only_student_is_never_asked_to_report(client, factory, sign_in, path):
    with at(TODAY):
        sign_in(factory.user(role=Role.STUDENT, student=_read_only_student(factory)))
        body = client.get(path).get_data(as_text=True)
    assert 'id="read-only-notice"' in body and 'id="nothing-to-report"' in body
    for prompt in REPORT_PROMPTS:
        assert prompt not in body, prompt
    if path == "/employers":
        assert "Old Job" in body  # still readable


def test_a_student_with_full_access_is_asked_to_report(client, factory, sign_in):
    with at(TODAY):
        sign_in(factory.user(role=Role.STUDENT, student=_no_job(factory)))
        dashboard = client.get("/dashboard").get_data(as_text=True)
        employers = client.get("/employers").get_data(as_text=True)
    assert "report it</a> within 10 days" in dashboard and 'data-action="add_employer"' in dashboard
    assert 'id="add-employer"' in employers and 'id="report-within"' in employers


def _state_of(body, employer):
    card = body.split(f'id="employer-{employer.id}"')[1].split("</li>")[0]
    return re.search(r'data-employment-state="(\w+)"', card).group(1), card


def test_employers_are_labelled_current_past_or_upcoming_by_their_dates(client, factory, sign_in):
    with at(TODAY):
        student = factory.student(opt_start=TODAY - timedelta(days=200), today=TODAY)
        past = factory.employer(
            student, name="Past Co", start_date=TODAY - timedelta(days=200), end_date=TODAY - timedelta(days=1)
        )
        current = factory.employer(student, name="Current Co", ein=None, start_date=TODAY)
        upcoming = factory.employer(
            student, name="Upcoming Co", ein="987654321", start_date=TODAY + timedelta(days=300)
        )
        sign_in(factory.user(role=Role.STUDENT, student=student))
        body = client.get("/employers").get_data(as_text=True)
        dashboard = client.get("/dashboard").get_data(as_text=True)
    assert _state_of(body, past)[0] == "past" and "still working there" not in _state_of(body, past)[1]
    assert _state_of(body, current)[0] == "current" and "still working there" in _state_of(body, current)[1]
    state, card = _state_of(body, upcoming)
    assert state == "upcoming" and "still working there" not in card
    assert f"Starts on {long_date(TODAY + timedelta(days=300))}" in card
    current_list = dashboard.split('id="current-employers"')[1].split("</ul>")[0]
    assert "Current Co" in current_list and "Past Co" not in current_list and "Upcoming Co" not in current_list


def test_a_returned_stem_employer_shows_it_is_returned_and_does_not_count(client, factory, sign_in, db_session):
    with at(TODAY):
        student = factory.student(
            opt_start=TODAY - timedelta(days=400), opt_end=TODAY - timedelta(days=36), today=TODAY
        )
        factory.employer(
            student, name="Post Co", start_date=TODAY - timedelta(days=400), end_date=TODAY - timedelta(days=36)
        )
        stem = factory.stem_opt(student, status="approved")
        returned = factory.employer(
            student,
            name="Returned Co",
            opt_authorization=stem,
            start_date=stem.start_date,
            review_status=EmployerReview.RETURNED,
        )
        sign_in(factory.user(role=Role.STUDENT, student=student))
        body = client.get("/employers").get_data(as_text=True)
        dashboard = client.get("/dashboard").get_data(as_text=True)
        timeline = student_timeline(db_session, student, TODAY)
    state, card = _state_of(body, returned)
    assert state == "current" and "Returned by your school" in card and "does not count as employment" in card
    assert "Returned Co (does not count as employment: returned by your school)" in dashboard
    assert timeline.unemployment.used == 36  # every STEM day so far counts as unemployed
