"""What support reads of problem reports: the queue, the count waiting, and whom a report can go to."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.models import utcnow
from portal.models.enums import ProblemStatus, Role
from portal.services.actors import Actor
from portal.services.problems import (
    create_problem_report,
    open_report_count,
    problem_report,
    report_queue,
    staff_member,
    support_staff,
    update_problem_report,
)


@pytest.fixture
def reports(factory, db_session, tmp_path):
    """Four reports filed a day apart (oldest first); the second answered, the third in progress."""
    support = Actor.for_user(factory.user(role=Role.SUPPORT))
    filed = []
    for day in range(4):
        student = factory.student()
        with time_machine.travel(datetime(2026, 3, 1 + day, 15, tzinfo=UTC), tick=False):
            filed.append(
                create_problem_report(
                    db_session,
                    student,
                    actor=Actor.for_user(factory.user(role=Role.STUDENT, student=student)),
                    description=f"Report {day}",
                    upload_dir=str(tmp_path),
                )
            )
    update_problem_report(db_session, filed[1], actor=support, status=ProblemStatus.ANSWERED.value)
    update_problem_report(db_session, filed[2], actor=support, status=ProblemStatus.IN_PROGRESS.value)
    return filed


def test_the_queue_is_the_open_reports_oldest_first_with_their_total(db_session, reports):
    open_reports = [reports[0], reports[2], reports[3]]
    page, total = report_queue(db_session, None, page=1, per_page=25)
    assert [report for report in page if report in reports] == open_reports
    assert open_report_count(db_session) == total and total >= 3


def test_the_queue_filters_by_status_and_pages(db_session, reports):
    assert report_queue(db_session, ProblemStatus.ANSWERED, page=1, per_page=25)[0][-1:] == [reports[1]]
    first, total = report_queue(db_session, None, page=1, per_page=2)
    second, _ = report_queue(db_session, None, page=2, per_page=2)
    assert len(first) == 2 and not set(first) & set(second) and len(first) + len(second) == min(total, 4)


def test_a_report_and_a_staff_member_by_number(db_session, reports):
    assert problem_report(db_session, reports[0].id) is reports[0]
    assert problem_report(db_session, 10**9) is None and staff_member(db_session, 10**9) is None


def test_only_active_support_staff_can_be_assigned_by_name(factory, db_session):
    names = {}
    for name in ("Zoe", "Abe", "Gone"):
        user = factory.user(role=Role.SUPPORT)
        user.display_name = f"Support {name}"
        names[name] = user
    names["Gone"].deactivated_at = utcnow() - timedelta(days=1)
    factory.user(role=Role.DSO)
    staff = support_staff(db_session)
    assert all(user.role is Role.SUPPORT and user.deactivated_at is None for user in staff)
    assert names["Gone"] not in staff and staff.index(names["Abe"]) < staff.index(names["Zoe"])
    assert staff == sorted(staff, key=lambda user: (user.display_name, user.id))
