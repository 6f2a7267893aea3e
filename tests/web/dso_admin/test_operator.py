"""The operator area: the index, maintenance windows page, and the demo mailbox with clickable links."""

from datetime import UTC, datetime

import pytest

from portal.mail import outbox
from portal.mail.outbox import queue_email
from portal.models import MaintenanceWindow
from portal.models.enums import EmailStatus, Role
from portal.worker.delivery import deliver_due_emails


@pytest.fixture
def operator(factory, sign_in):
    user = factory.user(role=Role.OPERATOR)
    sign_in(user)
    return user


@pytest.mark.parametrize("path", ["/operator/", "/operator/maintenance", "/operator/mailbox"])
@pytest.mark.parametrize("role", [Role.STUDENT, Role.DSO, Role.SUPPORT])
def test_operator_pages_are_forbidden_to_everyone_else(client, factory, sign_in, path, role):
    sign_in(factory.user(role=role))
    assert client.get(path).status_code == 403


def test_operator_pages_send_anonymous_visitors_to_sign_in(client):
    assert client.get("/operator/").status_code == 302


def test_index_links_to_maintenance_upgrades_and_mailbox_and_shows_failed_email(client, factory, db_session, operator):
    student = factory.student()
    email = queue_email(
        db_session,
        template="access_ended",
        to=student.email,
        student=student,
        context={"student_name": "A", "access_until": "yesterday", "closes_on": "today", "opt_end": "six months ago"},
    )
    email.status, email.last_error = EmailStatus.FAILED, "SMTPRecipientsRefused: 550"
    db_session.flush()
    page = client.get("/operator/").get_data(as_text=True)
    for href in ("/operator/maintenance", "/operator/upgrades", "/operator/mailbox"):
        assert f'href="{href}"' in page
    assert email.reference_code in page and "550" in page


def test_operator_schedules_a_window_in_eastern_time(client, db_session, operator):
    response = client.post(
        "/operator/maintenance",
        data={"starts_at": "2031-03-19T20:00", "ends_at": "2031-03-20T00:00", "message": "Database upgrade"},
    )
    assert response.status_code == 303
    window = db_session.query(MaintenanceWindow).filter_by(message="Database upgrade").one()
    assert window.starts_at == datetime(2031, 3, 20, 0, 0, tzinfo=UTC)  # 8 p.m. EDT
    assert "Database upgrade" in client.get("/operator/maintenance").get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {"starts_at": "2031-03-20T00:00", "ends_at": "2031-03-19T20:00", "message": ""},
        {"starts_at": "", "ends_at": "2031-03-19T20:00", "message": ""},
        {"starts_at": "not a date", "ends_at": "\x00", "message": ""},
        {"starts_at": "2031-03-19T20:00", "ends_at": "2031-03-20T00:00", "message": "x" * 1_000_000},
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_window_gets_422_with_a_message_and_nothing_saved(client, db_session, operator, data, htmx):
    response = client.post("/operator/maintenance", data=data, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert "usa-alert--error" in response.get_data(as_text=True)
    assert db_session.query(MaintenanceWindow).count() == 0


def test_operator_cancels_a_window(client, db_session, operator):
    client.post("/operator/maintenance", data={"starts_at": "2031-03-19T20:00", "ends_at": "2031-03-20T00:00"})
    window = db_session.query(MaintenanceWindow).one()
    assert client.post(f"/operator/maintenance/{window.id}/cancel").status_code == 303
    db_session.refresh(window)
    assert window.cancelled_at is not None
    assert client.post(f"/operator/maintenance/{window.id}/cancel").status_code == 409
    assert client.post("/operator/maintenance/999999/cancel").status_code == 404


def test_demo_mailbox_shows_the_account_creation_link_clickable(
    app, client, factory, db_session, operator, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    monkeypatch.setitem(
        outbox.LINK_RESOLVERS, "test_link", lambda session, ref: "http://127.0.0.1:8000/account/create/ABC123"
    )
    student = factory.student()
    queue_email(
        db_session,
        template="account_creation",
        to=student.email,
        student=student,
        context={"student_name": "Linh <Nguyen>", "days_valid": 14},
        link_ref="test_link:1",
    )
    deliver_due_emails(db_session, worker_id="t")
    listing = client.get("/operator/mailbox").get_data(as_text=True)
    assert "Create your OPT Portal account" in listing
    [name] = [path.name for path in tmp_path.glob("*.eml")]
    page = client.get(f"/operator/mailbox/{name}").get_data(as_text=True)
    assert '<a class="usa-link portal-break" href="http://127.0.0.1:8000/account/create/ABC123">' in page
    assert "Linh &lt;Nguyen&gt;" in page


@pytest.mark.parametrize("name", ["../secret_key", "..%2Fsecret_key", "missing.eml", "x.txt"])
def test_mailbox_refuses_other_file_names(client, operator, name):
    assert client.get(f"/operator/mailbox/{name}").status_code == 404


def test_demo_mailbox_shows_dates_in_eastern_time_like_every_other_page(
    app, client, factory, db_session, operator, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    monkeypatch.setitem(app.config, "MAILBOX_DIR", str(tmp_path))
    student = factory.student()
    email = queue_email(
        db_session,
        template="problem_received",
        to=student.email,
        student=student,
        context={"student_name": "A", "reported_on": "today", "summary": "x"},
    )
    email.queued_at = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
    db_session.flush()
    deliver_due_emails(db_session, worker_id="t")
    listing = client.get("/operator/mailbox").get_data(as_text=True)
    [name] = [path.name for path in tmp_path.glob("*.eml")]
    message = client.get(f"/operator/mailbox/{name}").get_data(as_text=True)
    for page in (listing, message):
        assert "Nov 10, 2026 10:00 AM EST" in page
        assert "+0000" not in page and "10 Nov 2026 15:00" not in page
