"""The obligations list: own school, overdue first then by due date, Mark complete one or many."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Event
from portal.models.enums import ObligationKind
from portal.services.obligations import add_obligation
from tests.web.conftest import HX


def _obligation(factory, student, days, text):
    return add_obligation(
        factory.session,
        student,
        kind=ObligationKind.ADDRESS_CHANGE,
        due_on=date.today() + timedelta(days=days),
        description=text,
    )


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
    events = db_session.scalars(
        select(Event).where(Event.student_id == student.id, Event.event_type == "obligation.completed")
    ).all()
    assert len(events) == 2
    page = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert "obligation.completed" in page


def test_a_double_submit_gets_a_clear_message(client, factory, school, dso):
    ob = _obligation(factory, factory.student(school=school), 1, "A")
    client.post("/admin/obligations/complete", data={"obligation_ids": [ob.id]})
    response = client.post(
        "/admin/obligations/complete", data={"obligation_ids": [ob.id]}, headers={"HX-Request": "true"}
    )
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


# ---------------------------------------------------------------- issue 12, finding 8


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, {"Overdue one", "Soon", "Later"}),
        ({"due": "overdue"}, {"Overdue one"}),
        ({"due": "within-7"}, {"Overdue one", "Soon"}),
        ({"before": (date.today() + timedelta(days=20)).isoformat()}, {"Overdue one", "Soon"}),
        ({"due": "within-30", "before": (date.today() + timedelta(days=3)).strftime("%m/%d/%Y")}, {"Overdue one"}),
    ],
)
def test_the_due_date_filter_shows_what_it_says(client, factory, school, dso, query, shown):
    student = factory.student(school=school)
    for days, text in ((-5, "Overdue one"), (3, "Soon"), (20, "Later")):
        _obligation(factory, student, days, text)
    for headers in ({}, HX):
        response = client.get("/admin/obligations", query_string=query, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 200
        assert {text for text in ("Overdue one", "Soon", "Later") if f"<td>{text}</td>" in body} == shown
        assert f"{len(shown)} open obligation" in body


@pytest.mark.parametrize("query", [{"due": "someday"}, {"before": "not a date"}, {"due": "within-9999999"}])
def test_a_filter_it_cannot_read_says_what_to_fix(client, factory, school, dso, query):
    _obligation(factory, factory.student(school=school), 1, "A")
    response = client.get("/admin/obligations", query_string=query)
    assert response.status_code == 422 and "usa-alert--error" in response.get_data(as_text=True)


def test_each_checkbox_has_a_label_naming_the_student_and_obligation_and_there_is_choose_all(
    client, factory, school, dso
):
    student = factory.student(school=school, given_name="Ana", surname="Reyes")
    ob = _obligation(factory, student, 2, "Address change")
    body = client.get("/admin/obligations").get_data(as_text=True)
    assert (
        f'<label class="usa-checkbox__label" for="ob-{ob.id}"><span class="usa-sr-only">Choose Address change for '
        f"Ana Reyes, due {ob.due_on:%m/%d/%Y}</span></label>" in body
    )
    assert 'id="ob-all" name="choose_all"' in body and "Choose all 1 obligations shown" in body
    assert body.count('class="portal-choose-cell"') == 2  # the header's and the row's: aligned by portal.css


def test_choose_all_marks_every_shown_row_complete_without_javascript(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    rows = [_obligation(factory, student, days, f"Row {days}") for days in (1, 2, 3)]
    shown = [row.id for row in rows[:2]]  # a page that showed two of them
    response = client.post(
        "/admin/obligations/complete", query_string={"due": "within-7"}, data={"choose_all": "1", "shown_ids": shown}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/obligations?due=within-7"
    for row in rows:
        db_session.refresh(row)
    assert [row.completed_at is not None for row in rows] == [True, True, False]
    assert "Marked 2 obligations complete" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_mark_complete_with_htmx_confirms_in_place_where_focus_goes(client, factory, school, dso):
    ob = _obligation(factory, factory.student(school=school), 1, "A")
    response = client.post("/admin/obligations/complete", data={"obligation_ids": [ob.id]}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="obligation-list">')
    assert 'id="obligation-confirmation" role="status"' in body
    assert 'tabindex="-1" data-focus-after-swap' in body and "Marked 1 obligation complete" in body
    assert "Marked 1 obligation complete" not in client.get("/admin/obligations").get_data(as_text=True)
