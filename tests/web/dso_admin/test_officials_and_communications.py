"""Officials page (principal only appoints, removes and hands over the principal role) and Communications (own
school's emails, no live links)."""

from sqlalchemy import select

from portal.models import Event, OutboxEmail, User
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.opt_decisions import approve_opt


def test_the_principal_appoints_and_removes_an_official(client, factory, school, sign_in, db_session):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    response = client.post("/admin/officials", data={"email": "new.dso@example.edu", "display_name": "New Dso"})
    assert response.status_code == 303
    official = db_session.scalar(select(User).where(User.email == "new.dso@example.edu"))
    assert official.school_id == school.id and official.role is Role.DSO
    assert "New Dso" in client.get("/admin/officials").get_data(as_text=True)
    assert client.post(f"/admin/officials/{official.id}/remove").status_code == 303
    again = client.post(f"/admin/officials/{official.id}/remove", headers={"HX-Request": "true"})
    assert again.status_code == 409 and "already removed" in again.get_data(as_text=True)


def test_the_principal_appoints_an_eleventh_dso_and_more(client, factory, school, sign_in, db_session):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    for _ in range(10):
        factory.user(role=Role.DSO, school=school)
    for number in (11, 12):
        response = client.post("/admin/officials", data={"email": f"dso{number}@example.edu", "display_name": "Dso"})
        assert response.status_code == 303
    page = client.get("/admin/officials").get_data(as_text=True)
    assert "One principal DSO and 12 DSOs." in page and "alternate" not in page.lower()


def test_a_dso_sees_the_list_but_cannot_appoint(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.DSO, school=school))
    assert client.get("/admin/officials").status_code == 200
    assert client.post("/admin/officials", data={"email": "x@example.edu", "display_name": "X"}).status_code == 403


def test_removing_another_schools_official_is_a_404(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    foreign = factory.user(role=Role.DSO)
    assert client.post(f"/admin/officials/{foreign.id}/remove").status_code == 404


def test_the_principal_hands_over_through_a_confirmation_without_javascript(
    client, factory, school, sign_in, db_session
):
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    successor = factory.user(role=Role.DSO, school=school)
    sign_in(principal)
    page = client.get("/admin/officials").get_data(as_text=True)
    assert f'href="/admin/officials/{successor.id}/hand-over"' in page
    confirmation = client.get(f"/admin/officials/{successor.id}/hand-over")
    body = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200 and "<html" in body and "you become a DSO" in body
    assert f'action="/admin/officials/{successor.id}/hand-over"' in body and principal.role is Role.PRINCIPAL_DSO
    response = client.post(f"/admin/officials/{successor.id}/hand-over")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/officials")
    db_session.refresh(principal)
    db_session.refresh(successor)
    assert (principal.role, successor.role) == (Role.DSO, Role.PRINCIPAL_DSO)
    assert db_session.scalars(
        select(Event.user_id).where(Event.event_type == "official.role_changed").order_by(Event.id)
    ).all() == [principal.id, successor.id]
    after = client.get("/admin/officials").get_data(as_text=True)
    assert "is now the principal DSO" in after and "/hand-over" not in after
    # The former principal is a DSO now: the next request already sees it.
    assert client.post(f"/admin/officials/{principal.id}/hand-over").status_code == 403


def test_the_hand_over_dialog_for_htmx_is_the_partial(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    successor = factory.user(role=Role.DSO, school=school)
    dialog = client.get(f"/admin/officials/{successor.id}/hand-over", headers={"HX-Request": "true"})
    assert dialog.status_code == 200 and "<html" not in dialog.get_data(as_text=True)
    assert "Yes, hand over the principal role" in dialog.get_data(as_text=True)


def test_a_refused_hand_over_says_why_and_changes_nothing(client, factory, school, sign_in, db_session):
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    sign_in(principal)
    response = client.post(f"/admin/officials/{principal.id}/hand-over")
    assert response.status_code == 422 and "already the principal DSO" in response.get_data(as_text=True)
    db_session.refresh(principal)
    assert principal.role is Role.PRINCIPAL_DSO


def test_only_the_principal_hands_over_and_only_to_an_own_official(client, factory, school, sign_in, db_session):
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    dso = factory.user(role=Role.DSO, school=school)
    other = factory.user(role=Role.DSO, school=school)
    sign_in(dso)
    assert "/hand-over" not in client.get("/admin/officials").get_data(as_text=True)
    assert client.get(f"/admin/officials/{other.id}/hand-over").status_code == 403
    assert client.post(f"/admin/officials/{dso.id}/hand-over").status_code == 403
    client.post("/sign-out")
    sign_in(principal)
    foreign = factory.user(role=Role.DSO)
    assert client.get(f"/admin/officials/{foreign.id}/hand-over").status_code == 404
    assert client.post(f"/admin/officials/{foreign.id}/hand-over").status_code == 404
    db_session.refresh(principal)
    assert principal.role is Role.PRINCIPAL_DSO and foreign.role is Role.DSO


def test_communications_show_own_students_emails_without_a_live_link(client, factory, school, sign_in, db_session):
    dso = factory.user(role=Role.DSO, school=school)
    student = factory.student(school=school, opt="pending", surname="Mailbox")
    opt = student.program_records[-1].opt_authorizations[0]
    approve_opt(
        db_session, opt, actor=Actor.for_user(dso), actual_start_date=opt.start_date, actual_end_date=opt.end_date
    )
    other = factory.student(opt="pending", surname="Foreigner")
    opt = other.program_records[-1].opt_authorizations[0]
    approve_opt(db_session, opt, actor=Actor.system(), actual_start_date=opt.start_date, actual_end_date=opt.end_date)
    sign_in(dso)
    body = client.get("/admin/communications").get_data(as_text=True)
    email = db_session.scalar(select(OutboxEmail).where(OutboxEmail.student_id == student.id))
    assert email.reference_code in body and "Foreigner" not in body
    assert "/account/create/" not in body and "[personal link" in body
    filtered = client.get("/admin/communications", query_string={"q": "nobody", "template": "account_creation"})
    assert "No emails match" in filtered.get_data(as_text=True)
    assert client.get("/admin/communications", query_string={"template": "<x>"}).status_code == 422


def test_communications_name_templates_in_words_not_identifiers(client, factory, school, sign_in, db_session):
    dso = factory.user(role=Role.DSO, school=school)
    student = factory.student(school=school, opt="pending")
    opt = student.program_records[-1].opt_authorizations[0]
    approve_opt(
        db_session, opt, actor=Actor.for_user(dso), actual_start_date=opt.start_date, actual_end_date=opt.end_date
    )
    sign_in(dso)
    body = client.get("/admin/communications").get_data(as_text=True)
    assert ">Reporting not yet recorded by the school</option>" in body
    assert '<option value="reporting_not_recorded">' in body  # the identifier stays in the value, for the URL
    assert ">reporting_not_recorded<" not in body and "account_creation ·" not in body
    assert "· Account creation · Queued</summary>" in body
    filtered = client.get("/admin/communications", query_string={"template": "account_creation"})
    assert '<option value="account_creation" selected>Account creation</option>' in filtered.get_data(as_text=True)
