"""History and the STEM edit form read as words: no ``full_time``, ``False``, ``not_needed``, ``line1`` or ISO dates."""

import re
from datetime import date, timedelta

from portal.models.enums import EmploymentTime, Role
from portal.services.actors import Actor
from portal.services.contact import update_address
from portal.services.employers import update_employer
from portal.services.history import describe_changes, student_events
from tests.support.factories import employer_form_data

RAW = re.compile(
    r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b(line1|line2|False|True|None|pending|post_completion)\b|\d{4}-\d{2}-\d{2}"
)


def _visible(html: str) -> str:
    """The page's text without tags, attributes, scripts and styles (what a person reads)."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", "", html)
    return re.sub(r"<[^>]+>", " ", html)


def change_employer_and_address(db_session, student, employer, user):
    """A change of hours on ``employer``, a new physical address, then a new street line on it."""
    actor = Actor.for_user(user)
    data = employer_form_data(
        name=employer.name,
        start_date=employer.start_date.isoformat(),
        employment_time="part_time",
        same_job_confirmed=True,
    )
    update_employer(db_session, employer, data, actor=actor, expected_version=employer.version)
    home = {"line1": "12 Main Street", "line2": "", "city": "Concord", "state": "NH", "postal_code": "03301"}
    update_address(db_session, student, "physical", home, actor=actor, expected_version=None)
    address = student.addresses[0]
    update_address(
        db_session,
        student,
        "physical",
        {**home, "line1": "14 Main Street"},
        actor=actor,
        expected_version=address.version,
    )
    db_session.flush()


def test_student_history_shows_words_names_the_employer_and_only_what_changed(
    client, signed_in, student, factory, db_session
):
    employer = factory.employer(
        student, name="Riverbend Robotics Inc", employment_time=EmploymentTime.FULL_TIME, self_employed=False
    )
    change_employer_and_address(db_session, student, employer, signed_in)
    body = client.get("/history?page=1").get_data(as_text=True)
    text = _visible(body)
    assert RAW.findall(text) == []
    assert "Employer changed: Riverbend Robotics Inc" in text
    assert "Full time" in text and "Part time" in text and "Street address" in text
    assert "New Hampshire" in text
    addresses = [item for item in body.split("<li") if "Physical address changed" in item]
    assert len(addresses) == 2 and all(">Kind<" not in item for item in addresses)  # the kind did not change


def test_an_address_change_records_only_its_fields(db_session, factory):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    home = {"line1": "12 Main Street", "line2": "", "city": "Concord", "state": "NH", "postal_code": "03301"}
    update_address(db_session, student, "physical", home, actor=Actor.for_user(user), expected_version=None)
    event = update_address(
        db_session,
        student,
        "physical",
        {**home, "line1": "14 Main Street"},
        actor=Actor.for_user(user),
        expected_version=student.addresses[0].version,
    )
    assert event is not None
    last = student_events_latest(db_session, student)
    assert "kind" not in last.after
    assert describe_changes(last.before, last.after) == [("Street address", "12 Main Street", "14 Main Street")]


def student_events_latest(db_session, student):
    return student_events(db_session, student, kinds=["address"], page=1).items[0]


def test_stem_edit_shows_locked_fields_in_words(client, factory, sign_in):
    today = date.today()
    student = factory.student(opt_start=today - timedelta(days=400), opt_end=today - timedelta(days=36))
    stem = factory.stem_opt(student, status="approved")
    employer = factory.employer(
        student,
        opt_authorization=stem,
        start_date=date(2027, 9, 7),
        self_employed=False,
        state="NH",
        postal_code="03301",
        employment_time=EmploymentTime.FULL_TIME,
    )
    sign_in(factory.user(role=Role.STUDENT, student=student))
    text = _visible(client.get(f"/employers/{employer.id}/edit").get_data(as_text=True))
    assert RAW.findall(text) == []
    # (the kind of employment, "Paid employee", took the place of "Self-employed: No")
    assert "September 7, 2027" in text and "New Hampshire" in text and "Full time" in text and "Paid employee" in text
