"""The obligations list: own school, overdue first then by due date, Mark complete one or many."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import ObligationKind, Role
from portal.services.obligations import add_obligation


@pytest.fixture
def school(factory):
    return factory.school()


@pytest.fixture
def dso(factory, school, sign_in):
    user = factory.user(role=Role.DSO, school=school)
    sign_in(user)
    return user


def _obligation(factory, student, days, text):
    return add_obligation(factory.session, student, kind=ObligationKind.ADDRESS_CHANGE,
                          due_on=date.today() + timedelta(days=days), description=text)  # fmt: skip


def test_overdue_first_then_by_due_date_and_only_own_school(client, factory, school, dso):
    student = factory.student(school=school)
    _obligation(factory, student, 20, "Later")
    _obligation(factory, student, -5, "Overdue one")
    _obligation(factory, student, 3, "Soon")
    _obligation(factory, factory.student(), -1, "Foreign")
    body = client.get("/admin/obligations").get_data(as_text=True)
    assert body.index("Overdue one") < body.index("Soon") < body.index("Later")
    assert "Foreign" not in body


def test_mark_many_complete_writes_events_the_history_shows(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    first, second = _obligation(factory, student, 1, "A"), _obligation(factory, student, 2, "B")
    response = client.post("/admin/obligations/complete", data={"obligation_ids": [first.id, second.id]})
    assert response.status_code == 303
    events = db_session.scalars(select(Event).where(Event.student_id == student.id,
                                                    Event.event_type == "obligation.completed")).all()  # fmt: skip
    assert len(events) == 2
    page = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert "obligation.completed" in page


def test_a_double_submit_gets_a_clear_message(client, factory, school, dso):
    ob = _obligation(factory, factory.student(school=school), 1, "A")
    client.post("/admin/obligations/complete", data={"obligation_ids": [ob.id]})
    response = client.post("/admin/obligations/complete", data={"obligation_ids": [ob.id]},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 409 and "Already marked complete" in response.get_data(as_text=True)


@pytest.mark.parametrize("ids", [["x"], [], ["999999999"]])
def test_bad_or_foreign_ids_change_nothing_and_never_500(client, factory, school, dso, ids):
    response = client.post("/admin/obligations/complete", data={"obligation_ids": ids})
    assert response.status_code in (404, 422)


def test_another_schools_obligation_is_refused(client, factory, school, dso, db_session):
    foreign = _obligation(factory, factory.student(), 1, "Foreign")
    response = client.post("/admin/obligations/complete", data={"obligation_ids": [foreign.id]})
    assert response.status_code == 404
    db_session.refresh(foreign)
    assert foreign.completed_at is None


def test_a_post_without_the_csrf_token_changes_nothing(app, client, factory, school, dso, db_session):
    ob = _obligation(factory, factory.student(school=school), 1, "A")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/admin/obligations/complete", data={"obligation_ids": [ob.id]})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    db_session.refresh(ob)
    assert ob.completed_at is None
