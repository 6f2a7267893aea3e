"""The officials' digest notices (issue 12; seed 001 Q10): queued by the daily sweep for officials who opt in, daily or
weekly (Mondays), counted again when sent, cancelled when nothing is new or the official no longer wants it, never
sent twice for one period."""

from datetime import datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import select

from portal.models import OutboxEmail
from portal.models.enums import ChangeKind, EmailStatus, Role
from portal.services.actors import Actor
from portal.services.clock import EASTERN
from portal.services.digests import set_digest_cadence
from portal.services.officials import remove_official
from portal.worker.delivery import deliver_due_emails
from portal.worker.digest_notices import queue_digests
from portal.worker.scheduled_notices import create_due_notices
from tests.support.digests import MONDAY, at, download, record_change


@pytest.fixture
def mailbox(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def school(factory):
    return factory.school(name="Northfield University")


@pytest.fixture
def dso(factory, school, db_session):
    official = factory.user(role=Role.DSO, school=school)
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence="daily")
    return official


@pytest.fixture
def change(time_machine):
    """Record one change a student made in the portal (what a change list lists)."""
    return partial(record_change, time_machine)


def digests(db_session):
    return list(
        db_session.scalars(select(OutboxEmail).where(OutboxEmail.template == "dso_digest").order_by(OutboxEmail.id))
    )


def deliver(db_session):
    return deliver_due_emails(db_session, worker_id="test", limit=100)


@pytest.mark.parametrize(
    ("cadence", "moment", "period"),
    [
        ("daily", at(MONDAY), MONDAY),
        ("daily", at(MONDAY + timedelta(days=1)), MONDAY + timedelta(days=1)),
        ("daily", at(MONDAY - timedelta(days=1)), MONDAY - timedelta(days=1)),  # a Sunday too
        ("daily", at(MONDAY + timedelta(days=1), 23, 30), MONDAY + timedelta(days=1)),  # 03:30 UTC the next day
        ("weekly", at(MONDAY), MONDAY),
        ("weekly", at(MONDAY, 23, 59), MONDAY),
        ("weekly", at(MONDAY + timedelta(days=1)), None),  # Tuesday: the weekly digest waits for Monday
        ("weekly", at(MONDAY - timedelta(days=1), 23, 59), None),  # Sunday night, Monday already in UTC
        ("off", at(MONDAY), None),
    ],
)
def test_the_digest_goes_out_on_its_days_in_eastern_time(
    change, db_session, factory, school, mailbox, time_machine, cadence, moment, period
):
    time_machine.move_to(moment - timedelta(hours=2), tick=False)
    official = factory.user(role=Role.DSO, school=school)
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence=cadence)
    change(db_session, factory.student(school=school))
    time_machine.move_to(moment, tick=False)
    create_due_notices(db_session, moment.date())
    queued = digests(db_session)
    assert [email.due_on for email in queued] == ([period] if period else [])
    assert deliver(db_session).sent == (1 if period else 0)


@pytest.mark.parametrize(
    ("cadence", "days", "sent"),
    [
        ("daily", [MONDAY, MONDAY, MONDAY + timedelta(days=1)], 2),  # the worker restarted on Monday: still one
        ("weekly", [MONDAY, MONDAY, MONDAY + timedelta(days=7)], 2),
        ("weekly", [MONDAY + timedelta(days=day) for day in range(7)], 1),
    ],
)
def test_never_twice_for_one_period_however_often_the_worker_runs(
    change, db_session, factory, school, mailbox, time_machine, cadence, days, sent
):
    time_machine.move_to(at(MONDAY - timedelta(days=1)), tick=False)
    official = factory.user(role=Role.DSO, school=school)
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence=cadence)
    student = factory.student(school=school)
    for day in days:
        time_machine.move_to(at(day, 6), tick=False)
        change(db_session, student)  # something new every day
        time_machine.move_to(at(day, 7), tick=False)
        create_due_notices(db_session, day)
        create_due_notices(db_session, day)
        deliver(db_session)
        deliver(db_session)
    assert sum(email.status is EmailStatus.SENT for email in digests(db_session)) == sent
    assert len(mailbox_files(mailbox)) == sent


def mailbox_files(mailbox):
    return sorted(mailbox.glob("*.eml"))


def test_nothing_changed_since_the_last_download_queues_nothing(change, db_session, factory, school, dso, time_machine):
    time_machine.move_to(at(MONDAY, 6), tick=False)
    assert queue_digests(db_session, MONDAY) == 0  # nothing at all yet
    change(db_session, factory.student(school=school))
    download(db_session, dso)
    time_machine.move_to(at(MONDAY, 7), tick=False)
    assert queue_digests(db_session, MONDAY) == 0
    assert digests(db_session) == []


def test_an_official_who_did_not_opt_in_gets_none(change, db_session, factory, school, time_machine):
    time_machine.move_to(at(MONDAY, 6), tick=False)
    factory.user(role=Role.DSO, school=school)  # off by default
    factory.user(role=Role.PRINCIPAL_DSO, school=school)
    change(db_session, factory.student(school=school))
    assert queue_digests(db_session, MONDAY) == 0


def test_counts_are_taken_again_at_send_time(change, db_session, factory, school, dso, mailbox, time_machine):
    """Queued with one student's change; a second student's change before the worker sends it is in the email."""
    time_machine.move_to(at(MONDAY, 6), tick=False)
    first, second = factory.student(school=school), factory.student(school=school)
    change(db_session, first, ChangeKind.EMPLOYER)
    assert queue_digests(db_session, MONDAY) == 1
    [email] = digests(db_session)
    assert email.subject.startswith("1 student changed") and "Employers: 1 student, 1 change" in email.body_text
    time_machine.move_to(at(MONDAY, 6, 30), tick=False)
    change(db_session, second, ChangeKind.EMPLOYER)
    change(db_session, second, ChangeKind.ADDRESS)
    assert deliver(db_session).sent == 1
    db_session.refresh(email)
    assert email.subject.startswith("2 students changed")
    assert "Employers: 2 students, 2 changes" in email.body_text and "Addresses: 1 student, 1 change" in email.body_text
    assert "2 students changed" in mailbox_files(mailbox)[0].read_text()


def test_a_download_between_queueing_and_sending_cancels_it(
    change, db_session, factory, school, dso, mailbox, time_machine
):
    time_machine.move_to(at(MONDAY, 6), tick=False)
    change(db_session, factory.student(school=school))
    assert queue_digests(db_session, MONDAY) == 1
    time_machine.move_to(at(MONDAY, 6, 30), tick=False)
    download(db_session, dso)
    report = deliver(db_session)
    [email] = digests(db_session)
    assert (report.sent, report.cancelled, email.status) == (0, 1, EmailStatus.CANCELLED)
    assert "Nothing changed" in email.cancelled_reason
    assert mailbox_files(mailbox) == []


def _turn_off(db_session, official):
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence="off")


def _switch_to_weekly(db_session, official):
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence="weekly")


def _remove(db_session, official):
    principal = db_session.scalar(
        select(type(official)).where(
            type(official).role == Role.PRINCIPAL_DSO, type(official).school_id == official.school_id
        )
    )
    remove_official(db_session, official, actor=Actor.for_user(principal))


@pytest.mark.parametrize(
    ("meanwhile", "reason"),
    [
        (_turn_off, "changed their email digest to off"),
        (_switch_to_weekly, "changed their email digest to weekly"),
        (_remove, "no longer a school official"),
    ],
)
def test_no_digest_for_an_official_who_opted_out_or_left_before_it_was_sent(
    change, db_session, factory, school, dso, mailbox, time_machine, meanwhile, reason
):
    factory.user(role=Role.PRINCIPAL_DSO, school=school)
    time_machine.move_to(at(MONDAY, 6), tick=False)
    change(db_session, factory.student(school=school))
    assert queue_digests(db_session, MONDAY) == 1
    meanwhile(db_session, dso)
    assert deliver(db_session).cancelled == 1
    [email] = digests(db_session)
    assert email.status is EmailStatus.CANCELLED and reason in email.cancelled_reason
    assert mailbox_files(mailbox) == []


@pytest.mark.parametrize(
    ("cadence", "sent_on", "goes_out"),
    [
        ("daily", MONDAY, True),
        ("daily", MONDAY + timedelta(days=1), False),  # a worker that was down does not send yesterday's beside today's
        ("weekly", MONDAY + timedelta(days=6), True),
        ("weekly", MONDAY + timedelta(days=7), False),
    ],
)
def test_a_late_digest_goes_out_only_within_its_period(
    change, db_session, factory, school, mailbox, time_machine, cadence, sent_on, goes_out
):
    time_machine.move_to(at(MONDAY, 6), tick=False)
    official = factory.user(role=Role.DSO, school=school)
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence=cadence)
    change(db_session, factory.student(school=school))
    assert queue_digests(db_session, MONDAY) == 1
    time_machine.move_to(at(sent_on, 8), tick=False)
    assert deliver(db_session).sent == (1 if goes_out else 0)


def test_the_email_names_the_last_download_in_eastern_time_and_links_the_change_list(
    change, db_session, factory, school, dso, mailbox, time_machine
):
    time_machine.move_to(datetime(2026, 3, 6, 14, 5, tzinfo=EASTERN), tick=False)  # a Friday, EST
    download(db_session, dso)
    time_machine.move_to(at(MONDAY, 6), tick=False)
    change(db_session, factory.student(school=school))
    queue_digests(db_session, MONDAY)
    deliver(db_session)
    [email] = digests(db_session)
    assert email.status is EmailStatus.SENT and email.user_id == dso.id and email.to_address == dso.email
    text = email.body_text
    assert "since your last change-list download, on March 6, 2026 at 2:05 PM EST" in text
    assert "Northfield University" in text and "/admin/change-lists" in text and email.reference_code in text
    assert "- Contact details: 1 student, 1 change" in text  # words, not the kind's identifier
