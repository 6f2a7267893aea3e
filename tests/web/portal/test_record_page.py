"""Issue 13, "Save my record": one print-ready page with the student's OPTs, employers, addresses and every event,
for read-only students too, offered on the dashboard before access closes and on History."""

from datetime import timedelta

from sqlalchemy import select

from portal.models import Event
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.clock import long_date
from portal.services.contact import update_phone
from tests.web.portal.conftest import TODAY, at


def _student_with_history(factory, db_session, *, opt_end=None, changes=30):
    student = factory.student(opt_start=TODAY - timedelta(days=200), opt_end=opt_end, today=TODAY)
    user = factory.user(role=Role.STUDENT, student=student)
    factory.employer(
        student, name="Harbor Analytics", start_date=TODAY - timedelta(days=190), end_date=TODAY - timedelta(days=100)
    )
    factory.employer(student, name="Lighthouse Labs", ein=None, start_date=TODAY - timedelta(days=99))
    factory.address(student, line1="12 Elm Street", city="Somerville")
    factory.address(student, kind="mailing", line1="PO Box 77", city="Cambridge", postal_code="02139")
    for n in range(changes):  # more events than one History page holds
        update_phone(
            db_session, student, f"61755501{n:02d}", actor=Actor.for_user(user), expected_version=student.version
        )
    return student, user


def test_the_record_holds_opts_employers_addresses_and_every_event(client, sign_in, factory, db_session):
    with at(TODAY):
        student, user = _student_with_history(factory, db_session)
        sign_in(user)
        response = client.get("/record")
        body = response.get_data(as_text=True)
    assert response.status_code == 200
    opt = student.program_records[-1].opt_authorizations[0]
    assert f'id="record-opt-{opt.id}"' in body and "Post-completion OPT" in body
    assert f"{long_date(opt.start_date)} to {long_date(opt.end_date)}" in body
    assert "Harbor Analytics" in body and "Lighthouse Labs" in body
    assert "12 Elm Street" in body and "PO Box 77" in body and "Cambridge, MA 02139" in body
    event_ids = db_session.scalars(select(Event.id).where(Event.student_id == student.id).order_by(Event.id)).all()
    assert len(event_ids) > 30
    assert f"{len(event_ids)} events, newest first." in body
    for event_id in event_ids:
        assert f'id="record-event-{event_id}"' in body
    assert body.index(f'id="record-event-{event_ids[-1]}"') < body.index(f'id="record-event-{event_ids[0]}"')


def test_a_read_only_student_can_save_their_record_and_is_offered_it_first(client, sign_in, factory, db_session):
    with at(TODAY):
        student, user = _student_with_history(factory, db_session, opt_end=TODAY - timedelta(days=60), changes=0)
        sign_in(user)
        record = client.get("/record")
        dashboard = client.get("/dashboard").get_data(as_text=True)
    assert record.status_code == 200 and "Lighthouse Labs" in record.get_data(as_text=True)
    summary = dashboard.split('id="summary"')[1].split("</section>")[0]
    assert 'data-action="save_record"' in summary and 'href="/record"' in summary


def test_history_links_to_the_record(client, sign_in, factory):
    sign_in(factory.user(role=Role.STUDENT))
    assert 'id="save-record-link"' in client.get("/history").get_data(as_text=True)


def test_the_print_stylesheet_hides_the_navigation_and_footer(app):
    css = (app.static_folder and open(f"{app.static_folder}/css/portal.css").read()).split("@media print")[1]
    for selector in (".usa-header", ".usa-footer", ".portal-no-print"):
        assert selector in css.split("display: none")[0]
    assert "break-inside: avoid" in css


def test_officials_are_refused(client, sign_in, factory):
    sign_in(factory.user(role=Role.DSO))
    assert client.get("/record").status_code == 403
