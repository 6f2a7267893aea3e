"""Issue 13: the dashboard answers "am I OK?" first (OPT period, days used and left, run-out date, employers, what is
due next) and offers ONE primary action, all read from the timeline; the running-low alert depends on it too."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine

from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.clock import EASTERN, add_months, long_date
from portal.services.obligations import sync_stem_obligations
from portal.services.timeline.database import student_timeline
from tests.web.portal.conftest import TODAY, at


def _unemployed(factory):
    return factory.student(opt_start=TODAY - timedelta(days=20), today=TODAY)


def _employed(factory):
    student = factory.student(opt_start=TODAY - timedelta(days=20), today=TODAY)
    factory.employer(student, name="Current Co", start_date=TODAY - timedelta(days=5))
    return student


def _upcoming_job(factory):
    student = factory.student(opt_start=TODAY - timedelta(days=20), today=TODAY)
    factory.employer(student, name="Future Co", start_date=TODAY + timedelta(days=12))
    return student


def _stem_confirmation_open(factory):
    stem_start = add_months(TODAY, -6)
    student = factory.student(
        opt_start=stem_start - timedelta(days=365), opt_end=stem_start - timedelta(days=1), today=TODAY
    )
    stem = factory.stem_opt(student, start=stem_start)
    factory.employer(student, name="Stem Co", opt_authorization=stem, start_date=stem_start)
    sync_stem_obligations(factory.session, student, actor=Actor.system("test"))
    return student


def _access_ending(factory):
    # The OPT ended five months and ten days ago: read-only, and access closes within 30 days.
    end = add_months(TODAY, -5) - timedelta(days=10)
    return factory.student(opt_start=end - timedelta(days=364), opt_end=end, today=TODAY)


def _read_only(factory):
    # The OPT ended 60 days ago: past the grace, read-only with four months to go.
    return factory.student(opt_start=TODAY - timedelta(days=425), opt_end=TODAY - timedelta(days=60), today=TODAY)


# case: (build, the primary action, words the first screen shows)
CASES = {
    "unemployed": (_unemployed, "add_employer", ["None now"]),
    "employed": (_employed, None, ["Current Co", "Not counting: your current job counts as employment"]),
    "upcoming job": (_upcoming_job, None, ["None now; Future Co from " + long_date(TODAY + timedelta(days=12))]),
    "STEM confirmation open": (
        _stem_confirmation_open,
        "confirm_details",
        ["Stem Co", "6-month STEM OPT confirmation"],
    ),
    "access ending": (_access_ending, "save_record", ["Your portal access ends: save your record before then"]),
    "read-only": (_read_only, "save_record", ["(Ended)", "Your portal access ends"]),
}


def _summary(body: str) -> str:
    return body.split('id="summary"')[1].split("</section>")[0]


def _dd(summary: str, name: str) -> str:
    return re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", "", summary.split(f'id="summary-{name}">')[1].split("</dd>")[0])
    ).strip()


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_first_screen_shows_the_timeline_and_one_primary_action(client, factory, sign_in, db_session, case):
    build, action, words = CASES[case]
    with at(TODAY):
        student = build(factory)
        sign_in(factory.user(role=Role.STUDENT, student=student))
        body = client.get("/dashboard").get_data(as_text=True)
        timeline = student_timeline(db_session, student, TODAY)
    summary = _summary(body)
    opt = timeline.current_opt
    assert f"{long_date(opt.start)} to {long_date(opt.end)}" in _dd(summary, "opt")
    days = timeline.unemployment
    assert _dd(summary, "days") == f"{days.used} of {days.allowed} unemployment days; {days.remaining} left"
    if days.runs_out_on is not None and not timeline.employed_today and days.runs_out_on >= TODAY:
        assert _dd(summary, "runs-out") == f"{long_date(days.runs_out_on)}, if you report no job"
    for word in words:
        assert word in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary)), word
    actions = re.findall(r'data-action="(\w+)"', body)
    assert actions == ([action] if action else [])  # one primary action at most, inside the summary
    if action:
        assert 'id="primary-action"' in summary


def test_the_unemployed_student_sees_the_days_and_run_out_date_in_numbers(client, factory, sign_in):
    with at(TODAY):
        sign_in(factory.user(role=Role.STUDENT, student=_unemployed(factory)))
        summary = _summary(client.get("/dashboard").get_data(as_text=True))
    # 21 days of OPT without a job (the start day counts); 69 left, so the 90th day is 69 days from today.
    assert _dd(summary, "days") == "21 of 90 unemployment days; 69 left"
    assert _dd(summary, "runs-out") == f"{long_date(TODAY + timedelta(days=69))}, if you report no job"
    assert _dd(summary, "next").startswith("Your work authorization (OPT) ends")


def test_the_stem_confirmation_is_what_is_due_next(client, factory, sign_in):
    with at(TODAY):
        sign_in(factory.user(role=Role.STUDENT, student=_stem_confirmation_open(factory)))
        summary = _summary(client.get("/dashboard").get_data(as_text=True))
    due = add_months(add_months(TODAY, -6), 6) + timedelta(days=10)
    assert _dd(summary, "next") == f"6-month STEM OPT confirmation of your details: due {long_date(due)}"
    assert 'href="/stem/confirm"' in summary


def test_a_closed_student_gets_the_closed_page_not_the_dashboard(client, factory, sign_in):
    with at(TODAY):
        student = _access_ending(factory)
    last_day = student_timeline(factory.session, student, TODAY).access.read_only_until
    # Signed in on the last readable day; access closes at midnight while the session still lasts.
    with time_machine.travel(
        datetime(last_day.year, last_day.month, last_day.day, 23, 50, tzinfo=EASTERN), tick=False
    ) as traveller:
        sign_in(factory.user(role=Role.STUDENT, student=student))
        assert client.get("/record").status_code == 200
        traveller.move_to(
            datetime.combine(last_day + timedelta(days=1), datetime.min.time().replace(minute=5), tzinfo=EASTERN)
        )
        response = client.get("/dashboard")
        record = client.get("/record")
    assert response.status_code == 403 and 'id="primary-action"' not in response.get_data(as_text=True)
    assert record.status_code == 403


def _used_65_days_then_a_job(factory):
    student = factory.student(opt_start=TODAY - timedelta(days=70), today=TODAY)
    factory.employer(student, name="Late Job", start_date=TODAY - timedelta(days=5))
    return student


@pytest.mark.parametrize(
    ("build", "says", "never_says"),
    [
        (_used_65_days_then_a_job, "Your current job counts as employment", "If you have a job, report it"),
        (
            lambda factory: factory.student(opt_start=TODAY - timedelta(days=64), today=TODAY),
            "If you have a job, report it",
            "Your current job counts as employment",
        ),
    ],
    ids=["job reported after 65 days", "no job"],
)
def test_the_running_low_alert_depends_on_whether_a_job_is_reported(client, factory, sign_in, build, says, never_says):
    with at(TODAY):
        sign_in(factory.user(role=Role.STUDENT, student=build(factory)))
        body = client.get("/dashboard").get_data(as_text=True)
    alert = body.split('id="unemployment-warning"')[1].split('class="usa-hint"')[0]
    assert says in alert and never_says not in alert
    assert "sixty-five (65)" in body


def test_the_employed_alert_says_how_many_days_were_used_earlier(client, factory, sign_in):
    with at(TODAY):
        sign_in(factory.user(role=Role.STUDENT, student=_used_65_days_then_a_job(factory)))
        text = client.get("/dashboard").get_data(as_text=True).split('id="unemployment-warning-text">')[1]
    assert re.sub(r"\s+", " ", text.split("</p>")[0]).startswith(
        "Your current job counts as employment, so no more days are being used now. The sixty-five (65) days"
    )
