"""The busiest pages read what they need in a fixed, small number of statements (issue 7's budget)."""

from datetime import date, timedelta

from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.contact import update_phone
from tests.support.factories import employer_form_data
from tests.web.conftest import HX


def _student(factory, sign_in):
    student = factory.student(opt_start=date.today() - timedelta(days=30))
    sign_in(factory.user(role=Role.STUDENT, student=student))
    factory.employer(student, start_date=date.today() - timedelta(days=20))
    return student


def test_the_sign_in_page_reads_nothing(client, count_queries):
    client.get("/")
    with count_queries() as counter:
        assert client.get("/").status_code == 200
    assert counter["count"] == 0


def test_a_student_page_is_the_session_with_the_record_then_the_timeline(client, factory, sign_in, count_queries):
    _student(factory, sign_in)
    # The session row with the program records, then the timeline's facts (programs with OPTs, live jobs);
    # the employers page also reads the employers' details.
    for path, expected in (("/dashboard", 3), ("/employers", 4)):
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        assert counter["count"] == expected, (path, counter["statements"])
        assert "user_sessions" in counter["statements"][0] and "program_records" in counter["statements"][0]
        assert "opt_authorizations" in counter["statements"][1] and "employers" in counter["statements"][2]


def test_the_saved_record_reads_a_fixed_number_of_statements_however_long_the_history(
    client, factory, sign_in, count_queries
):
    student = _student(factory, sign_in)
    counts = []
    for _ in range(2):
        with count_queries() as counter:
            assert client.get("/record").status_code == 200
        counts.append(counter["count"])
        for n in range(40):
            factory.employer(student, name=f"Grown {n}", ein=None)
    # Session with the record, timeline facts (2), addresses, the event count, the events (fetched in batches),
    # the employers' details (the school comes with the session).
    assert counts == [7, 7], counts


def test_adding_an_employer_reads_the_timeline_and_writes_employer_marks_event_and_receipt(
    client, factory, sign_in, count_queries
):
    _student(factory, sign_in)
    data = employer_form_data(name="Initech", ein="", start_date=date.today().isoformat())
    with count_queries() as counter:
        assert client.post("/employers", data=data, headers=HX).status_code == 204
    inserts = [statement.split()[2] for statement in counter["statements"] if statement.startswith("INSERT")]
    # Session, timeline facts (2), the deleted-employer match, the insert, then the marks' refresh (facts (2), delete,
    # insert), the event and the receipt.
    assert counter["count"] == 11 and inserts == ["employers", "timeline_marks", "events", "outbox_emails"]


def test_history_reads_the_same_statements_whatever_its_size_and_page(
    client, factory, sign_in, db_session, count_queries
):
    student = factory.student(opt_start=date.today() - timedelta(days=30))
    user = factory.user(role=Role.STUDENT, student=student)
    sign_in(user)

    def statements(path):
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter["count"], counter["statements"]

    few, _ = statements("/history")
    for n in range(45):  # three pages of events
        update_phone(
            db_session, student, f"61755501{n:02d}", actor=Actor.for_user(user), expected_version=student.version
        )
    # The session and the timeline's facts (3), then the page's count and its events: one page of 20 or three, the
    # first, a middle one or past the last.
    for path in ("/history", "/history?page=2", "/history?page=3&kind=contact", "/history?page=99999999999"):
        count, seen = statements(path)
        assert count == few == 5, (path, seen)
        assert "count(" in seen[3].lower() and "FROM events" in seen[3] and "FROM events" in seen[4]
