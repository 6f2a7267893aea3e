"""Change-list downloads through the web: formats, the inverted range message, the mark that moves."""

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.models import ChangeListDownload, Event
from portal.models.enums import ActorKind, ChangeKind, ExportFormat, Role
from portal.services.actors import Actor
from portal.services.change_lists import record_download, resolve_range
from portal.services.employers import add_employer, delete_employer
from tests.unit.test_change_lists import employer_data


def _download(client, data):
    """Post the form; on success follow the 303 to the file (plain form flow)."""
    response = client.post("/admin/change-lists/download", data=data)
    if response.status_code == 303:
        return client.get(response.headers["Location"])
    return response


@pytest.fixture
def changed(factory, school, db_session):
    student = factory.student(school=school)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    add_employer(db_session, student, employer_data(student), actor=actor)
    return student


def test_the_form_shows(client, dso):
    body = client.get("/admin/change-lists").get_data(as_text=True)
    assert "Since my last download" in body and "SEVIS batch XML" in body


def test_an_inverted_range_gets_a_clear_message(client, dso):
    response = _download(client, {"start": "2026-05-02", "end": "2026-05-01"})
    assert response.status_code == 422 and "before the start date" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {"start": "nope", "end": "2026-01-01"},
        {"format": "pdf", "since_last": "1"},
        {"kinds": "<b>", "since_last": "1"},
        {},
    ],
)
def test_bad_input_gets_a_message_never_a_500(client, dso, data):
    assert _download(client, data).status_code == 422


def test_csv_since_last_download_then_nothing_new(client, dso, changed, db_session):
    response = _download(client, {"since_last": "1", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {row[2] for row in rows[1:]} == {"Employer added"} and {row[0] for row in rows[1:]} == {changed.sevis_id}
    again = _download(client, {"since_last": "1", "format": "csv"})
    assert len(list(csv.reader(io.StringIO(again.get_data(as_text=True).lstrip("\ufeff"))))) == 1
    assert (
        db_session.scalar(
            select(func.count()).select_from(ChangeListDownload).where(ChangeListDownload.user_id == dso.id)
        )
        == 2
    )
    assert (
        db_session.scalar(select(func.count()).select_from(Event).where(Event.event_type == "change_list.downloaded"))
        == 2
    )


def test_xlsx_and_xml_downloads(client, dso, changed):
    response = _download(client, {"since_last": "1", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {changed.sevis_id}
    response = _download(client, {"start": "2000-01-01", "end": "2100-01-01", "format": "xml"})
    assert response.mimetype == "application/xml" and b"<OPTEmployer><Add" in response.data


def test_xml_with_nothing_to_carry_gets_a_message(client, dso):
    response = _download(client, {"since_last": "1", "format": "xml"})
    assert response.status_code == 422 and "no employer or address changes" in response.get_data(as_text=True)


def test_another_schools_changes_are_not_in_my_list(client, dso, factory, db_session):
    other = factory.student()
    add_employer(
        db_session, other, employer_data(other), actor=Actor.for_user(factory.user(role=Role.STUDENT, student=other))
    )
    response = _download(client, {"since_last": "1", "format": "csv"})
    assert other.sevis_id not in response.get_data(as_text=True)


def test_a_list_can_be_fetched_again_but_another_officials_is_a_404(client, dso, factory, school, db_session, changed):
    first = client.post("/admin/change-lists/download", data={"since_last": "1", "format": "csv"})
    again = client.get(first.headers["Location"])
    assert again.status_code == 200 and changed.sevis_id in again.get_data(as_text=True)
    colleague = Actor.for_user(factory.user(role=Role.DSO, school=school))
    change_range = resolve_range(db_session, colleague, start=None, end=None, since_last=True, kinds=tuple(ChangeKind))
    theirs = record_download(db_session, colleague, fmt=ExportFormat.CSV, change_range=change_range, row_count=1)
    response = client.get(f"/admin/change-lists/downloads/{theirs.id}")
    assert response.status_code == 404
    response.close()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_download_abandoned_midway_stops_and_the_next_one_is_whole(client, dso, factory, school, db_session, fmt):
    """A browser that goes away stops the stream (on PostgreSQL COPY is cancelled); the session goes on working."""
    student = factory.student(school=school)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    db_session.add_all(
        Event(
            occurred_at=start + timedelta(minutes=number),
            student_id=student.id,
            school_id=school.id,
            actor_kind=ActorKind.STUDENT,
            actor_label="Student",
            event_type="contact.phone_changed",
            change_kind=ChangeKind.CONTACT,
            before={"phone": "1"},
            # values that do not compress: the file is more than the two chunks read
            after={"phone": hashlib.sha256(str(number).encode()).hexdigest()},
            changes="phone changed",
        )
        for number in range(3000)
    )
    db_session.flush()
    location = client.post("/admin/change-lists/download", data={"since_last": "1", "format": fmt}).headers["Location"]
    response = client.get(location, buffered=False)
    chunks = iter(response.response)
    received = sum(len(next(chunks)) for _ in range(2))
    response.close()
    again = client.get(location)
    assert len(again.data) > received  # the first download stopped before its end
    if fmt == "csv":
        assert len(again.get_data(as_text=True).strip().splitlines()) == 3001
    else:
        assert sum(1 for _ in load_workbook(io.BytesIO(again.data), read_only=True).active.iter_rows()) == 3001


def test_the_page_lists_what_to_enter_by_hand_from_the_last_download(client, dso, factory, school, db_session):
    student = factory.student(school=school, surname="Okafor", given_name="Ada")
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    with time_machine.travel(datetime(2026, 10, 5, 15, tzinfo=UTC), tick=False):
        employer = add_employer(db_session, student, employer_data(student, name="Harbor Health Partners"), actor=actor)
    with time_machine.travel(datetime(2026, 11, 5, 15, tzinfo=UTC), tick=False):
        delete_employer(db_session, employer, actor=actor, confirmed_never_worked=True)
    db_session.commit()
    response = _download(client, {"start": "2026-11-01", "end": "2026-11-30", "format": "xlsx"})
    assert response.status_code == 200
    body = client.get("/admin/change-lists").get_data(as_text=True)
    section = body.split("Enter these in SEVIS by hand", 1)[1].split("Your downloads", 1)[0]
    assert "Harbor Health Partners" in section and "Ada Okafor" in section and student.sevis_id in section
    assert "Download again" in body


def test_file_names_say_the_school_and_the_range(client, dso, school, changed, db_session):
    school.name = "Northfield"
    db_session.commit()
    response = _download(client, {"start": "2026-10-01", "end": "2026-10-31", "format": "xlsx"})
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="northfield-change-list-2026-10-01-to-2026-10-31.xlsx"'
    )
