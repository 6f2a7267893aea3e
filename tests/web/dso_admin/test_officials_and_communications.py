"""Officials page (principal only appoints/removes) and Communications (own school's emails, no live links)."""

from sqlalchemy import select

from portal.models import OutboxEmail, User
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


def test_an_eleventh_alternate_gets_a_clear_message(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    for _ in range(10):
        factory.user(role=Role.DSO, school=school)
    response = client.post("/admin/officials", data={"email": "eleven@example.edu", "display_name": "Eleven"})
    assert response.status_code == 422 and "Remove one first" in response.get_data(as_text=True)


def test_an_alternate_sees_the_list_but_cannot_appoint(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.DSO, school=school))
    assert client.get("/admin/officials").status_code == 200
    assert client.post("/admin/officials", data={"email": "x@example.edu", "display_name": "X"}).status_code == 403


def test_removing_another_schools_official_is_a_404(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    foreign = factory.user(role=Role.DSO)
    assert client.post(f"/admin/officials/{foreign.id}/remove").status_code == 404


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
