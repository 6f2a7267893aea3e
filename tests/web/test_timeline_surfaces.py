"""Properties over random student timelines and days, through the real pages and services on the test database
(issue 11, "Tests that must exist"; DESIGN rules 5, 16 and 17).

1. The student's dashboard, the DSO's Student Information counter, the DSO list's alerts ("nearing the limit",
   "without current employer") and current employer, the CSV export's row and the unemployment email's re-check
   give the same numbers as ``student_timeline`` for the same student on the same day.
2. The daily sweep queues no email that the timeline contradicts on its day, and the send-day re-check lets every
   one of them go out that day.

Each example builds its own school, student and officials inside the test's rolled-back transaction, and travels to
the chosen day at noon US Eastern.
"""

from __future__ import annotations

import csv
import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import time_machine
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.models import OutboxEmail, TimelineMark
from portal.models.enums import EmailStatus, EmployerReview, EmploymentTime, OptStatus, Role
from portal.services.clock import EASTERN, add_months, long_date
from portal.services.student_export import EXPORT_HEADER
from portal.services.timeline import EMAIL_THRESHOLDS, Timeline, timeline_for
from portal.services.timeline.database import load_facts, student_timeline
from portal.worker.daily_sweep import SWEPT_MARKS
from portal.worker.delivery import deliver_due_emails
from portal.worker.notice_claims import WORDS, Claim, Untrue, count_started_on
from portal.worker.scheduled_notices import RECHECKS, create_due_notices
from tests.support.notice_claims import claim_contradicted

# Each example signs two people in and reads six pages: a few dozen examples keep the file well under a minute on
# either database. The fixtures (client, session, factory) carry over from one example to the next on purpose:
# every example makes its own school and student, and the test's transaction is rolled back at the end.
# HYPOTHESIS_PROFILE=explore with PORTAL_SURFACE_EXAMPLES=300, say, draws many new examples.
EXAMPLES = int(os.environ.get("PORTAL_SURFACE_EXAMPLES", "25"))
SURFACES = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIRST_OPT_START = date(2024, 1, 1)
STEM_STATES = (None, OptStatus.APPROVED, OptStatus.PENDING, OptStatus.DENIED)
STEM_REVIEWS = (EmployerReview.NOT_NEEDED, EmployerReview.WAITING, EmployerReview.ACCEPTED, EmployerReview.RETURNED)


@dataclass(frozen=True)
class JobPlan:
    start: int  # days after the requested OPT start
    days: int | None  # None: still working there
    review: EmployerReview  # used for a job reported under the STEM OPT; a post-completion job's is "not needed"
    part_time: bool


@dataclass(frozen=True)
class Story:
    """The records of one student: a post-completion OPT with its EAD dates, maybe a STEM OPT, and 0-4 jobs."""

    opt_start: date
    opt_days: int
    ead_late: int  # the EAD starts this many days after the requested start
    ead_early: int  # and ends this many days before the requested end
    stem: OptStatus | None
    stem_days: int
    jobs: tuple[JobPlan, ...]

    @property
    def opt_end(self) -> date:
        return self.opt_start + timedelta(days=self.opt_days - 1)

    @property
    def stem_start(self) -> date:
        return self.opt_end + timedelta(days=1)  # as factory.stem_opt files it

    @property
    def last_day(self) -> date:
        return self.stem_start + timedelta(days=self.stem_days) if self.stem else self.opt_end


jobs = st.builds(
    JobPlan,
    start=st.integers(-10, 1000),
    days=st.one_of(st.none(), st.integers(0, 400)),
    review=st.sampled_from(STEM_REVIEWS),
    part_time=st.booleans(),
)
stories = st.builds(
    Story,
    opt_start=st.dates(FIRST_OPT_START, FIRST_OPT_START + timedelta(days=1000)),
    opt_days=st.integers(120, 365),
    ead_late=st.sampled_from([0, 0, 3, 45]),
    ead_early=st.sampled_from([0, 0, 10]),
    stem=st.sampled_from(STEM_STATES),
    stem_days=st.sampled_from([729, 729, 400]),
    jobs=st.lists(jobs, max_size=4).map(tuple),
)


@st.composite
def story_and_day(draw):
    """A story and a day from 30 days before its OPT to 200 days after its last: anywhere, or near one of its dates
    (where the count, the jobs or access change), so that a few dozen examples reach every kind of day."""
    story = draw(stories)
    first, last = story.opt_start - timedelta(days=30), story.last_day + timedelta(days=200)
    if draw(st.booleans()):
        return story, draw(st.dates(first, last))
    turns = [
        story.opt_start + timedelta(days=story.ead_late),
        story.opt_end,
        story.last_day,
        story.last_day + timedelta(days=183),
    ]
    for job in story.jobs:
        turns.append(story.opt_start + timedelta(days=job.start))
        if job.days is not None:
            turns.append(story.opt_start + timedelta(days=job.start + job.days))
    day = draw(st.sampled_from(turns)) + timedelta(days=draw(st.integers(-40, 40)))
    return story, min(max(day, first), last)


def build(factory, school, story: Story):
    """The story's records, as the DSO's approvals and the student's reports would leave them."""
    student = factory.student(
        school=school,
        opt_start=story.opt_start,
        opt_end=story.opt_end,
        today=story.opt_start,
        actual_start=story.opt_start + timedelta(days=story.ead_late),
        actual_end=story.opt_end - timedelta(days=story.ead_early),
    )
    stem = factory.stem_opt(student, status=story.stem.value, days=story.stem_days) if story.stem else None
    for number, job in enumerate(story.jobs, start=1):
        start = story.opt_start + timedelta(days=job.start)
        on_stem = stem is not None and start >= story.stem_start
        factory.employer(
            student,
            name=f"Employer {number} Co",
            start_date=start,
            end_date=None if job.days is None else start + timedelta(days=job.days),
            opt_authorization=stem if on_stem else student.program_records[-1].opt_authorizations[0],
            review_status=job.review if on_stem else EmployerReview.NOT_NEEDED,
            employment_time=EmploymentTime.PART_TIME if job.part_time else EmploymentTime.FULL_TIME,
        )
    return student


@contextmanager
def signed_in(client, sign_in, user):
    """Sign ``user`` in for the block (the sign-in response is given) and out after it, whatever the block does."""
    try:
        yield sign_in(user)
    finally:
        client.post("/sign-out")


def at_noon(day: date):
    return time_machine.travel(datetime.combine(day, time(12), tzinfo=EASTERN), tick=False)


def unemployed_today(timeline: Timeline) -> bool:
    """The "without current employer" alert on the timeline's day: counting, and no current job counts (rule 16)."""
    return timeline.unemployment.counting and not any(job.counts for job in timeline.current_jobs)


# --- Reading the pages ---------------------------------------------------------------------------------------


def _number(pattern: str, page: str) -> int:
    found = re.search(pattern, page)
    assert found, f"not on the page: {pattern}"
    return int(found.group(1))


def dashboard_days(page: str) -> dict:
    """What the student's dashboard says about unemployment days (allowed 0: it says none are counted yet)."""
    if 'id="unemployment-meter"' not in page:
        assert "start counting once your OPT is approved" in page
        return {"allowed": 0}
    runs_out = re.search(r'id="unemployment-runs-out">.*?<strong>([^<]+)</strong>', page)
    return {
        "used": _number(r'<meter[^>]*\bvalue="(\d+)"', page),
        "allowed": _number(r'<meter[^>]*\bmax="(\d+)"', page),
        "used_in_words": _number(r"You have used <strong>[^<(]*\((\d+)\)</strong>", page),
        "allowed_in_words": _number(r"of your\s+[^()]*\((\d+)\) allowed days", page),
        "remaining": _number(r"<strong>[^<(]*\((\d+)\)</strong> days? remains?", page),
        "runs_out": runs_out.group(1) if runs_out else None,
    }


def expected_dashboard(timeline: Timeline) -> dict:
    days = timeline.unemployment
    if not days.allowed:
        return {"allowed": 0}
    shown = days.runs_out_on is not None and (days.exhausted or days.runs_out_on >= timeline.today)
    return {
        "used": days.used,
        "allowed": days.allowed,
        "used_in_words": days.used,
        "allowed_in_words": days.allowed,
        "remaining": days.remaining,
        "runs_out": long_date(days.runs_out_on) if shown else None,
    }


def counter(page: str) -> dict:
    """Student Information's unemployment counter, as SEVIS shows DSOs (allowed 0: no approved OPT to count)."""
    if 'id="unemployment-counter"' not in page:
        assert "so no unemployment days are counted" in page
        return {"allowed": 0}
    block = page.split('id="unemployment-counter"')[1].split("</dl>")[0]
    facts = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", block))
    return {
        "allowed": int(facts.pop("Allowed")),
        "used": int(facts.pop("Used")),
        "remaining": int(facts.pop("Remaining")),
        "runs_out": facts,
    }


def expected_counter(timeline: Timeline) -> dict:
    days = timeline.unemployment
    if not days.allowed:
        return {"allowed": 0}
    runs_out = days.runs_out_on
    if runs_out is None:
        words = {"Runs out on": "Not on the employment reported so far"}
    else:
        words = {"Used up on" if runs_out <= timeline.today else "Runs out on": runs_out.strftime("%m/%d/%Y")}
    return {"allowed": days.allowed, "used": days.used, "remaining": days.remaining, "runs_out": words}


def list_page(client, **filters) -> str:
    return client.get("/admin/students", query_string=filters).get_data(as_text=True)


def row_of(page: str, sevis_id: str) -> str | None:
    """The student's row of a students list page (None when the student is not on it)."""
    if f"<td>{sevis_id}</td>" not in page:
        return None
    return page.split(f"<td>{sevis_id}</td>")[1].split("</tr>")[0]


def alert_count(page: str, key: str) -> int:
    """How many students the list's alert ``key`` counts (an alert with nobody on it is not shown)."""
    alerts = page.split('aria-label="Alerts"')[1].split("</section>")[0] if 'aria-label="Alerts"' in page else ""
    found = re.search(rf'href="/admin/students\?{key}=1">[^<]*</a>: (\d+) student', alerts)
    return int(found.group(1)) if found else 0


def exported_row(client) -> dict:
    """The only row of the school's students CSV."""
    text = client.get("/admin/students/export.csv").get_data(as_text=True).lstrip("\ufeff")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == EXPORT_HEADER
    (row,) = lines[1:]
    return dict(zip(EXPORT_HEADER, row, strict=True))


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


# --- The email re-check ----------------------------------------------------------------------------------


def first_day_reaching(facts, threshold: int, first: date, last: date) -> date | None:
    """The first day in [first, last] on which the timeline's used days reach ``threshold`` (they never go down)."""
    if timeline_for(facts, last).unemployment.used < threshold:
        return None
    while first < last:
        middle = first + (last - first) // 2
        if timeline_for(facts, middle).unemployment.used >= threshold:
            last = middle
        else:
            first = middle + timedelta(days=1)
    return first


def warning_checks(facts, timeline: Timeline, first: date) -> list[tuple[int, bool, bool]]:
    """For each threshold the unemployment email names: (threshold, the re-check accepts it, the timeline says it).

    The claim is dated on the day the count reached the threshold (or today, when it has not); the timeline says it
    when today's used days reach the threshold, the count is running today and the threshold is within the allowance.
    """
    days, results = timeline.unemployment, []
    for threshold in sorted({*EMAIL_THRESHOLDS, days.allowed} - {0}):
        reached_on = first_day_reaching(facts, threshold, first, timeline.today) or timeline.today
        claim = Claim(
            "unemployment_warning", timeline.student_id, count_started_on(timeline), reached_on, str(threshold)
        )
        try:
            words = WORDS["unemployment_warning"](timeline, facts, claim)
        except Untrue:
            accepted = False
        else:
            accepted = True
            assert (words["days_used"], words["days_allowed"]) == (threshold, days.allowed)
        true = days.used >= threshold and days.counting and threshold <= days.allowed
        results.append((threshold, accepted, true))
    return results


# --- The properties ------------------------------------------------------------------------------------------


@SURFACES
@given(case=story_and_day())
def test_every_surface_gives_the_timelines_numbers_for_the_same_student_on_the_same_day(
    client, factory, sign_in, db_session, case
):
    story, day = case
    with at_noon(day):
        school = factory.school()
        student = build(factory, school, story)
        student_user = factory.user(role=Role.STUDENT, student=student)
        dso = factory.user(role=Role.DSO, school=school)
        timeline = student_timeline(db_session, student, day)
        days = timeline.unemployment
        current = timeline.current_employer.name if timeline.current_employer else None
        unemployed = unemployed_today(timeline)
        event(f"access {timeline.access.level}, nearing the limit {days.nearing_limit}, without employer {unemployed}")

        # The student's dashboard (a closed account signs in to the closed page instead, rule 5).
        with signed_in(client, sign_in, student_user) as response:
            if timeline.access.closed:
                closed_page = response.sign_in_response.get_data(as_text=True)
                assert response.status_code == 403 and "Your portal account is closed" in closed_page
            else:
                assert response.status_code == 303, response.status_code
                dashboard = client.get("/dashboard")
                assert dashboard.status_code == 200
                assert dashboard_days(dashboard.get_data(as_text=True)) == expected_dashboard(timeline)

        # The DSO's pages: Student Information's counter, as SEVIS shows it.
        with signed_in(client, sign_in, dso) as response:
            assert response.status_code == 303
            info = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
            assert counter(info) == expected_counter(timeline)
            # The list: the row's current employer, the alerts (one student at this school) and their filters.
            page = list_page(client)
            row = row_of(page, student.sevis_id)
            assert row is not None and f"<td>{current or 'No current employer'}</td>" in row
            assert alert_count(page, "nearing_limit") == int(days.nearing_limit)
            assert alert_count(page, "no_employer") == int(unemployed)
            assert (row_of(list_page(client, nearing_limit="1"), student.sevis_id) is not None) is days.nearing_limit
            assert (row_of(list_page(client, no_employer="1"), student.sevis_id) is not None) is unemployed
            # The CSV export.
            exported = exported_row(client)
            assert exported["SEVIS ID"] == student.sevis_id
            assert (
                exported["Current employer"],
                exported["Approved OPT without current employer"],
                exported["Unemployment nearing the limit"],
            ) == (current or "", yes_no(unemployed), yes_no(days.nearing_limit))

        # The unemployment email's re-check accepts a threshold exactly when the timeline's count reaches it.
        facts = load_facts(db_session, [student.id])[student.id]
        assert timeline_for(facts, day) == timeline
        for threshold, accepted, true in warning_checks(facts, timeline, story.opt_start - timedelta(days=30)):
            assert accepted is true, f"{threshold} days: re-check {accepted}, timeline used {days.used}"
            event(f"{threshold} days claimed: {'accepted' if accepted else 'refused'}")


@st.composite
def story_and_sweep_day(draw):
    """A story and a day: anywhere, or around one of the story's dated marks (a few days before it, when nothing may
    go out yet, to a day past the sweep's catch-up week)."""
    story, day = draw(story_and_day())
    return story, day, draw(st.integers(0, 3)) > 0, draw(st.integers(-3, 8)), draw(st.integers(0, 50))


# Two notices the random examples reach least often, always tried: the first STEM confirmation's reminder (30 days
# before its six-month mark) and "your OPT has ended" (the day after an EAD that ends early).
STEM_STORY = Story(date(2024, 2, 29), 365, 0, 0, OptStatus.APPROVED, 729, ())
ENDED_STORY = Story(date(2025, 3, 9), 200, 3, 10, None, 729, (JobPlan(20, 60, EmployerReview.NOT_NEEDED, False),))
ALWAYS_TRIED = {STEM_STORY: "stem_validation_due", ENDED_STORY: "opt_ended"}


@settings(SURFACES, max_examples=2 * EXAMPLES)  # no pages here: cheaper examples, and each notice is rarer than a page
@given(case=story_and_sweep_day())
@example(case=(STEM_STORY, add_months(STEM_STORY.stem_start, 6) - timedelta(days=28), False, 0, 0))
@example(case=(ENDED_STORY, ENDED_STORY.opt_end - timedelta(days=9), False, 0, 0))
def test_no_email_is_queued_or_sent_that_the_timeline_contradicts_on_its_day(
    app, factory, db_session, case, tmp_path, monkeypatch
):
    story, day, near_a_mark, days_after, which = case
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    with at_noon(story.opt_start):
        student = build(factory, factory.school(), story)
    if near_a_mark:
        # Most random days fall where nothing is due; the days around a mark are where a notice may go out.
        starts = db_session.scalars(
            select(TimelineMark.starts_on)
            .where(TimelineMark.student_id == student.id, TimelineMark.kind.in_([str(kind) for kind in SWEPT_MARKS]))
            .order_by(TimelineMark.starts_on, TimelineMark.id)
        ).all()
        day = starts[which % len(starts)] + timedelta(days=days_after)
    with at_noon(day):
        create_due_notices(db_session, day)
        queued = db_session.scalars(
            select(OutboxEmail).where(OutboxEmail.student_id == student.id).order_by(OutboxEmail.id)
        ).all()
        timeline = student_timeline(db_session, student, day)
        event(f"{len(queued)} emails queued")
        if story in ALWAYS_TRIED:
            assert ALWAYS_TRIED[story] in [email.template for email in queued]
        for email in queued:
            event(f"queued: {email.template}")
            assert claim_contradicted(email, timeline) is None, (email.template, claim_contradicted(email, timeline))
            assert RECHECKS[email.template](db_session, email) is None, email.template
        while deliver_due_emails(db_session, worker_id="surfaces", limit=50).handled:
            pass
        for email in queued:
            db_session.refresh(email)
            assert email.status is EmailStatus.SENT, (email.template, email.status, email.cancelled_reason)
