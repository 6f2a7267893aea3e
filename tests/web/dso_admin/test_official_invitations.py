"""Official invitations (issue 12, finding 6): the principal appoints, the email's link sets a password without a
SEVIS ID, the first sign-in enrols two-step verification; the principal resends (the old link stops) or revokes (the
link says so)."""

import pyotp
from sqlalchemy import select

from portal.mail.outbox import resolve_link
from portal.models import OutboxEmail, User
from portal.models.enums import Role
from portal.services.mfa import secret_of
from tests.web.conftest import HX

NEW_PASSWORD = "violet harbor seventy kites"


def _appoint(client, db_session, email="new.dso@example.edu", name="Nadia Official", headers=None):
    response = client.post("/admin/officials", data={"email": email, "display_name": name}, headers=headers or {})
    official = db_session.scalar(select(User).where(User.email == email))
    return response, official


def _latest_link_path(db_session, official) -> str:
    email = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == official.id).order_by(OutboxEmail.id.desc())
    ).first()
    assert email.template == "official_invitation"
    return "/" + resolve_link(db_session, email).split("://", 1)[1].split("/", 1)[1]


def test_a_new_official_sets_a_password_without_a_sevis_id_then_must_enrol_two_step(
    client, factory, school, sign_in, db_session
):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    _response, official = _appoint(client, db_session)
    path = _latest_link_path(db_session, official)
    client.post("/sign-out")
    page = client.get(path)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set up your official account" in body and "Nadia Official" in body
    assert 'name="sevis_id"' not in body and "SEVIS" not in body
    assert body.count('aria-controls="password"') == body.count('aria-controls="confirm"') == 1  # "Show password"
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert "set up two-step verification" in client.get("/").get_data(as_text=True)
    assert client.get(path).status_code == 410  # single use
    signed_in = client.post("/", data={"email": official.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 303
    assert client.get("/admin/").headers["Location"] == "/mfa/setup"  # officials must use two-step verification
    assert b"Start setup" in client.get("/mfa/setup").data
    assert client.post("/mfa/setup/start").headers["Location"] == "/mfa/setup"
    assert b"<svg" in client.get("/mfa/setup").data
    db_session.refresh(official)
    codes = client.post("/mfa/setup", data={"code": pyotp.TOTP(secret_of(official)).now()})
    assert codes.status_code == 200 and "recovery" in codes.get_data(as_text=True).lower()
    assert client.get("/admin/").status_code == 200


def test_the_principal_resends_and_revokes_and_each_link_says_why_it_stopped(
    client, factory, school, sign_in, db_session
):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    _response, official = _appoint(client, db_session)
    first = _latest_link_path(db_session, official)
    page = client.get("/admin/officials").get_data(as_text=True)
    assert "Invitation sent; the link works until" in page and "Revoke the invitation of Nadia Official" in page
    resent = client.post(f"/admin/officials/{official.id}/invitation/resend", headers=HX)
    body = resent.get_data(as_text=True)
    assert resent.status_code == 200 and "data-focus-after-swap" in body and "a new invitation" in body
    second = _latest_link_path(db_session, official)
    assert second != first
    stale = client.get(first)
    assert stale.status_code == 410 and "a newer one was sent" in stale.get_data(as_text=True)
    assert client.post(f"/admin/officials/{official.id}/invitation/revoke").status_code == 303
    listing = client.get("/admin/officials").get_data(as_text=True)
    assert "The invitation of Nadia Official is revoked" in listing and "new.dso@example.edu" not in listing
    revoked = client.get(second)
    assert revoked.status_code == 410 and "revoked" in revoked.get_data(as_text=True)
    again = client.post(f"/admin/officials/{official.id}/invitation/revoke", headers=HX)
    assert again.status_code == 409 and "already revoked" in again.get_data(as_text=True)


def test_invitation_actions_are_the_principal_s_for_their_own_school(client, factory, school, sign_in, db_session):
    pending = factory.user(role=Role.DSO, school=school, password=None)
    foreign = factory.user(role=Role.DSO, password=None)
    sign_in(factory.user(role=Role.DSO, school=school))
    for action in ("resend", "revoke"):
        assert client.post(f"/admin/officials/{pending.id}/invitation/{action}").status_code == 403
    client.post("/sign-out")
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    for action in ("resend", "revoke"):
        assert client.post(f"/admin/officials/{foreign.id}/invitation/{action}").status_code == 404
    active = factory.user(role=Role.DSO, school=school)
    refused = client.post(f"/admin/officials/{active.id}/invitation/resend", headers=HX)
    assert refused.status_code == 409 and "already set a password" in refused.get_data(as_text=True)


def test_appointing_with_htmx_confirms_in_place_and_leaves_nothing_for_the_next_page(
    client, factory, school, sign_in, db_session
):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    response, _official = _appoint(client, db_session, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="officials-confirmation" role="status"' in body
    assert "Nadia Official is appointed" in body and "data-focus-after-swap" in body
    assert "is appointed" not in client.get("/admin/officials").get_data(as_text=True)
