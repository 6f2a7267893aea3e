"""Maintenance windows: a banner from 48 hours before, 503 + Retry-After during, sign-in closed, /healthz up (rule 11)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from portal.models import MaintenanceWindow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import Conflict, RuleBroken
from portal.services.maintenance import cancel_window, schedule_window
from portal.services.site_state import REFRESH_SECONDS

START = datetime(2024, 3, 20, 0, 0, tzinfo=UTC)  # Tuesday, March 19, 2024, 8:00 p.m. EDT
END = datetime(2024, 3, 20, 4, 0, tzinfo=UTC)  # Wednesday, March 20, 2024, 12:00 a.m. EDT


@pytest.fixture
def window(db_session, time_machine):
    time_machine.move_to(START - timedelta(days=5), tick=False)
    created = schedule_window(
        db_session, starts_at=START, ends_at=END, message="Latency fix after the upgrade.", actor=Actor.system()
    )
    db_session.commit()
    return created


@pytest.mark.parametrize(
    ("before_start", "shown"),
    [
        (timedelta(hours=49), False),
        (timedelta(hours=48), True),
        (timedelta(hours=1), True),
    ],
)
def test_banner_announces_the_window_from_48_hours_before_in_eastern_time(
    client, window, time_machine, before_start, shown
):
    time_machine.move_to(START - before_start, tick=False)
    page = client.get("/").get_data(as_text=True)
    assert ("Scheduled maintenance" in page) is shown
    if shown:
        assert "Mar 19, 2024 8:00 PM EDT" in page and "Mar 20, 2024 12:00 AM EDT" in page
        assert "Latency fix after the upgrade." in page


@pytest.mark.parametrize("path", ["/", "/dashboard", "/employers", "/admin/", "/admin/students", "/account/create/x"])
def test_every_student_and_official_page_answers_503_with_retry_after_during_the_window(
    client, window, time_machine, path
):
    time_machine.move_to(START + timedelta(hours=1), tick=False)
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(3 * 3600)
    page = response.get_data(as_text=True)
    assert "down for maintenance" in page and "Mar 20, 2024 12:00 AM EDT" in page


def test_sign_in_is_closed_during_the_window(client, factory, window, time_machine):
    user = factory.user(role=Role.STUDENT)
    time_machine.move_to(START + timedelta(minutes=5), tick=False)
    response = client.post("/", data={"email": user.email, "password": "a long enough test password"})
    assert response.status_code == 503
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_signed_in_student_gets_the_maintenance_page_too(client, factory, sign_in, window, time_machine):
    user = factory.user(role=Role.STUDENT)
    time_machine.move_to(START - timedelta(minutes=5), tick=False)
    sign_in(user)
    time_machine.move_to(START + timedelta(minutes=5), tick=False)
    assert client.get("/dashboard", headers={"HX-Request": "true"}).status_code == 503


@pytest.mark.parametrize(("path", "expected"), [("/healthz", 200), ("/help/email-notices", 200)])
def test_health_check_and_public_help_stay_up(client, window, time_machine, path, expected):
    time_machine.move_to(START + timedelta(hours=1), tick=False)
    assert client.get(path).status_code == expected


def test_data_feed_endpoint_is_not_behind_the_maintenance_page(client, window, time_machine):
    time_machine.move_to(START + timedelta(hours=1), tick=False)
    assert client.post("/api/feed/batches", data=b"{}").status_code != 503


def test_pages_are_back_when_the_window_ends(client, window, time_machine):
    time_machine.move_to(END, tick=False)
    response = client.get("/")
    assert response.status_code == 200 and "Scheduled maintenance" not in response.get_data(as_text=True)


def test_cancelled_window_neither_announces_nor_blocks(client, db_session, window, time_machine):
    cancel_window(db_session, window.id, actor=Actor.system())
    db_session.commit()
    time_machine.move_to(START + timedelta(hours=1), tick=False)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("starts", "ends", "message", "error"),
    [
        (START, START, "", RuleBroken),
        (START, START - timedelta(hours=1), "", RuleBroken),
        (START - timedelta(days=9), START - timedelta(days=8), "", RuleBroken),
        (START + timedelta(hours=1), END + timedelta(hours=1), "", Conflict),
        (START + timedelta(days=1), END + timedelta(days=1), "x" * 501, RuleBroken),
        (START + timedelta(days=1), END + timedelta(days=1), "bell\x07", RuleBroken),
    ],
)
def test_schedule_refuses_bad_windows(db_session, window, starts, ends, message, error):
    with pytest.raises(error):
        schedule_window(db_session, starts_at=starts, ends_at=ends, message=message, actor=Actor.system())


def test_cli_schedules_a_window_in_eastern_time(app, db_session, time_machine):
    time_machine.move_to(START - timedelta(days=1), tick=False)
    result = app.test_cli_runner().invoke(
        args=[
            "maintenance",
            "schedule",
            "--start",
            "2024-03-19 20:00",
            "--end",
            "2024-03-20 00:00",
            "--message",
            "Upgrade",
        ]
    )
    assert result.exit_code == 0, result.output
    stored = db_session.query(MaintenanceWindow).filter_by(message="Upgrade").one()
    assert (stored.starts_at, stored.ends_at) == (START, END)


def test_cli_refuses_an_unreadable_time(app, db_session):
    result = app.test_cli_runner().invoke(args=["maintenance", "schedule", "--start", "tomorrow", "--end", "later"])
    assert result.exit_code != 0 and "2026-03-19 20:00" in result.output


def test_a_signed_in_operator_keeps_the_operator_area_during_the_window(client, factory, sign_in, window, time_machine):
    operator = factory.user(role=Role.OPERATOR)
    time_machine.move_to(START - timedelta(minutes=5), tick=False)
    sign_in(operator)
    time_machine.move_to(START + timedelta(minutes=5), tick=False)
    assert client.get("/operator/maintenance").status_code == 200
    assert client.get("/admin/").status_code == 503


def test_a_window_starting_while_pages_are_served_closes_them_at_its_exact_start(
    client, window, time_machine, count_queries
):
    """The gate answers from the process's copy of the windows, read before the start, and still starts on time."""
    time_machine.move_to(START - timedelta(seconds=1), tick=False)
    assert client.get("/").status_code == 200
    time_machine.move_to(START, tick=False)
    with count_queries(periodic=True) as counter:
        response = client.get("/")
    assert response.status_code == 503 and response.headers["Retry-After"] == str(4 * 3600)
    assert not any("maintenance_windows" in statement for statement in counter["statements"])


def test_a_window_scheduled_on_another_server_is_enforced_within_seconds(client, db_session, time_machine):
    time_machine.move_to(START - timedelta(seconds=1), tick=False)
    assert client.get("/").status_code == 200
    db_session.execute(
        text("INSERT INTO maintenance_windows (starts_at, ends_at, message, created_at) VALUES (:s, :e, '', :s)"),
        {"s": START, "e": END},
    )
    time_machine.move_to(START - timedelta(seconds=1) + timedelta(seconds=REFRESH_SECONDS), tick=False)
    assert client.get("/").status_code == 503
