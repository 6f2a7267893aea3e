"""History pages: events newest first with before/after, kind filter, Email History, CSV download."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from portal.mail.outbox import queue_email
from portal.services.actors import Actor
from portal.services.contact import update_phone
from portal.services.employers import add_employer
from portal.services.events import record_event
from tests.support.factories import employer_form_data
from tests.web.conftest import HX


def _email(db_session, student):
    return queue_email(
        db_session,
        template="account_creation",
        to=student.email,
        student=student,
        context={"student_name": student.full_name, "site_name": "OPT Portal", "days_valid": 7},
    )


def test_events_show_before_and_after_newest_first(client, signed_in, student, db_session):
    update_phone(db_session, student, "6175550100", actor=Actor.for_user(signed_in), expected_version=student.version)
    update_phone(db_session, student, "6175550199", actor=Actor.for_user(signed_in), expected_version=student.version)
    body = client.get("/history").get_data(as_text=True)
    assert body.index("(617) 555-0199") < body.index("Program record opened")
    assert "(617) 555-0100" in body and "Phone number changed" in body and "You" in body
    assert ">Phone number changed</h3>" in body
    assert "contact.phone_changed" not in body  # the event kind's code is not shown, not even on hover


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


def _csv_rows(client) -> list[list[str]]:
    response = client.get("/history/download.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_download_is_an_attachment_with_everything_in_words(client, signed_in, student, db_session):
    email = _email(db_session, student)
    update_phone(db_session, student, "6175550100", actor=Actor.for_user(signed_in), expected_version=student.version)
    add_employer(
        db_session, student, employer_form_data(start_date=date.today().isoformat()), actor=Actor.for_user(signed_in)
    )
    rows = _csv_rows(client)
    assert rows[0][:5] == ["Record", "When (US Eastern time)", "What happened", "By", "What changed"]
    assert any(email.reference_code in row for row in rows)
    assert any(row[2] == "Program record opened" for row in rows)
    [phone] = [row for row in rows if row[2] == "Phone number changed"]
    assert phone[3] == "You" and "Phone number: " in phone[4] and "-> (617) 555-0100" in phone[4]
    [employer] = [row for row in rows if row[2].startswith("Employer added: ")]
    assert "Full or part time: Full time" in employer[4].splitlines()
    event_cells = "\n".join(cell for row in rows if row[0] == "Event" for cell in row)
    for raw in ("program.opened", "contact.phone_changed", "employer.added", "student:", "full_time", "False", "True"):
        assert raw not in event_cells


def test_history_csv_statements_do_not_grow_with_events(client, signed_in, student, db_session, count_queries):
    actor = Actor.for_user(signed_in)
    with count_queries() as few:
        rows = _csv_rows(client)
    for n in range(20):
        update_phone(db_session, student, f"61755501{n:02d}", actor=actor, expected_version=student.version)
        _email(db_session, student)
    with count_queries() as many:
        assert len(_csv_rows(client)) >= len(rows) + 40
    assert many["count"] == few["count"]


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


# --- History on a phone (issue 13) ----------------------------------------------------------------------------------


def test_the_kind_filters_are_folded_in_an_accordion_after_the_heading_and_the_events_come_first(client, signed_in):
    body = client.get("/history").get_data(as_text=True)
    heading, accordion = body.index("<h1>History</h1>"), body.index('class="usa-accordion')
    content, events = (
        body.index('id="history-filters" class="usa-accordion__content"'),
        body.index('id="history-events"'),
    )
    assert heading < accordion < content < body.index('name="kind"') < events
    assert 'aria-expanded="false" aria-controls="history-filters"' in body  # folded until opened
    # The accordion sits outside the part htmx swaps, so USWDS's one-time set-up keeps working after a filter.
    assert body.index("</form>") < events
    partial = client.get("/history?kind=contact", headers=HX).get_data(as_text=True)
    assert "usa-accordion" not in partial and 'name="kind"' not in partial


def test_chosen_filters_show_the_accordion_open(client, signed_in):
    body = client.get("/history?kind=contact").get_data(as_text=True)
    assert 'aria-expanded="true" aria-controls="history-filters"' in body
    assert 'value="contact" checked' in body


def _phone_change_at(db_session, student, user, moment, phone):
    with time_machine.travel(moment, tick=False):
        record_event(
            db_session,
            Actor.for_user(user),
            "contact.phone_changed",
            student=student,
            before={"phone": None},
            after={"phone": phone},
        )


def test_events_are_grouped_under_us_eastern_day_headings(client, signed_in, student, db_session):
    _phone_change_at(db_session, student, signed_in, datetime(2026, 3, 6, 4, 30, tzinfo=UTC), "6175550101")  # 11:30 PM
    _phone_change_at(db_session, student, signed_in, datetime(2026, 3, 6, 5, 30, tzinfo=UTC), "6175550102")  # 12:30 AM
    body = client.get("/history").get_data(as_text=True)
    friday, thursday = body.index("Friday, March 6, 2026</h2>"), body.index("Thursday, March 5, 2026</h2>")
    assert friday < body.index("12:30 AM EST") < body.index("(617) 555-0102") < thursday
    assert thursday < body.index("11:30 PM EST") < body.index("(617) 555-0101")


def test_change_tables_stack_as_label_and_value_on_small_screens(client, signed_in, student, db_session):
    update_phone(db_session, student, "6175550100", actor=Actor.for_user(signed_in), expected_version=student.version)
    body = client.get("/history").get_data(as_text=True)
    assert "usa-table--stacked-header" in body
    assert '<td data-label="Before">' in body and '<td data-label="After">(617) 555-0100</td>' in body


def test_events_come_twenty_a_page_with_older_and_newer_links(client, signed_in, student, db_session):
    actor = Actor.for_user(signed_in)
    for n in range(21):
        update_phone(db_session, student, f"61755501{n:02d}", actor=actor, expected_version=student.version)
    first = client.get("/history?kind=contact").get_data(as_text=True)
    newest, oldest = 'data-label="After">(617) 555-0120<', 'data-label="After">(617) 555-0100<'
    assert first.count('class="portal-history-item') == 20 and newest in first and oldest not in first
    assert 'href="?kind=contact&amp;page=2"' in first and "page 1 of 2" in first
    second = client.get("/history?kind=contact&page=2").get_data(as_text=True)
    assert second.count('class="portal-history-item') == 1 and oldest in second
    assert 'href="?kind=contact&amp;page=1"' in second and "page=3" not in second


@pytest.mark.parametrize("page", ["3", "999999999999999999999999", "abc", "-5", "1e9", ""])
def test_a_page_number_out_of_range_or_malformed_still_shows_events(client, signed_in, student, db_session, page):
    _email(db_session, student)
    for path in ("/history", "/history/emails"):
        response = client.get(f"{path}?page={page}")
        assert response.status_code == 200
        assert 'class="portal-history-item' in response.get_data(as_text=True)
