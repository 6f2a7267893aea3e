"""History pages: events newest first with before/after, kind filter, Email History, CSV download."""

import csv
import io
import re
from datetime import date

from portal.notifications.outbox import queue_email
from portal.services.actors import Actor
from portal.services.contact import update_phone
from portal.services.employers import add_employer
from tests.support.factories import employer_form_data

HX = {"HX-Request": "true"}


def _email(db_session, student):
    return queue_email(db_session, template="account_creation", to=student.email, student=student,
                       context={"student_name": student.full_name, "site_name": "OPT Portal", "days_valid": 7})  # fmt: skip


def test_events_show_before_and_after_newest_first(client, signed_in, student, db_session):
    update_phone(db_session, student, "6175550100", actor=Actor.for_user(signed_in), expected_version=student.version)
    update_phone(db_session, student, "6175550199", actor=Actor.for_user(signed_in), expected_version=student.version)
    body = client.get("/history").get_data(as_text=True)
    assert body.index("6175550199") < body.index("Program record opened")
    assert "6175550100" in body and "Phone number changed" in body and "You" in body
    assert 'title="contact.phone_changed">Phone number changed</h3>' in body


def test_kind_filter_swaps_only_the_list_for_htmx(client, signed_in, student, db_session):
    update_phone(db_session, student, "6175550100", actor=Actor.for_user(signed_in), expected_version=student.version)
    response = client.get("/history?kind=contact&kind=<script>", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="history-events"')
    assert "Phone number changed" in body and "Program record opened" not in body


def test_email_history_shows_full_text_and_reference_code(client, signed_in, student, db_session):
    email = _email(db_session, student)
    body = client.get("/history/emails").get_data(as_text=True)
    assert email.reference_code in body and email.subject in body
    assert "Create your account" in body


def test_csv_download_is_an_attachment_with_everything(client, signed_in, student, db_session):
    email = _email(db_session, student)
    response = client.get("/history/download.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert any(email.reference_code in row for row in rows)
    assert any(row[2] == "program.opened" for row in rows)


def test_history_query_count_does_not_grow_with_events(client, signed_in, student, db_session, count_queries):
    actor = Actor.for_user(signed_in)
    with count_queries() as few:
        client.get("/history")
        client.get("/history/emails")
    for n in range(20):
        update_phone(db_session, student, f"61755501{n:02d}", actor=actor, expected_version=student.version)
        _email(db_session, student)
    with count_queries() as many:
        client.get("/history")
        client.get("/history/emails")
    assert many["count"] == few["count"]


def test_bad_page_number_is_page_one(client, signed_in):
    assert client.get("/history?page=abc").status_code == 200
    assert client.get("/history?page=-5").status_code == 200


def test_email_history_tells_receipts_apart_by_subject(client, signed_in, student, db_session):
    actor = Actor.for_user(signed_in)
    update_phone(db_session, student, "6175550100", actor=actor, expected_version=student.version)
    add_employer(db_session, student, employer_form_data(start_date=date.today().isoformat()), actor=actor)
    body = client.get("/history/emails").get_data(as_text=True)
    subjects = re.findall(r"<h2[^>]*>(We received your [^<]*)</h2>", body)
    assert subjects == ["We received your new employer: Acme Analytics LLC", "We received your phone number change"]
