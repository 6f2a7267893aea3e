"""The overview: alerts, and accessible SVG charts with the table of numbers behind them."""

from datetime import date, timedelta

from portal.models.enums import ObligationKind, Role
from portal.services.actors import Actor
from portal.services.employers import add_employer
from portal.services.obligations import add_obligation
from tests.unit.test_change_lists import employer_data


def test_charts_count_obligations_per_week_and_changes_with_a_table(client, factory, school, sign_in, db_session):
    student = factory.student(school=school)
    for days in (-3, 1, 2, 15):
        add_obligation(
            db_session,
            student,
            kind=ObligationKind.ADDRESS_CHANGE,
            due_on=date.today() + timedelta(days=days),
            description=f"in {days}",
        )
    add_employer(
        db_session,
        student,
        employer_data(student),
        actor=Actor.for_user(factory.user(role=Role.STUDENT, student=student)),
    )
    sign_in(factory.user(role=Role.DSO, school=school))
    body = client.get("/admin/").get_data(as_text=True)
    assert body.count('role="img"') >= 2 and "<title" in body and "<desc" in body
    assert body.count("<details") >= 2 and "<details open" not in body  # the tables are folded away
    first_week = (date.today()).strftime("%b %-d").replace(" 0", " ")
    assert f'<th scope="row">{first_week}</th><td>3</td>' in body  # overdue + two this week
    assert "Reporting overdue</a>: 1 student" in body
    assert "<td>1</td>" in body  # the employer added this week


def test_no_alerts_says_so(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.DSO, school=school))
    body = client.get("/admin/").get_data(as_text=True)
    assert "No alerts" in body and 'style="' not in body
