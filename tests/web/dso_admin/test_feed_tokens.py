"""Data feed tokens: the principal DSO manages the school's own, an operator every school's; shown once, revocable."""

import pytest

from portal.models import FeedToken
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.feed.tokens import create_feed_token, school_for_token


def _raw_token(page: str) -> str:
    return "optfeed_" + page.split("<code>optfeed_")[1].split("</code>")[0]


def test_principal_dso_creates_a_token_shown_once_and_revokes_it(client, db_session, factory, sign_in):
    school = factory.school()
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    response = client.post("/admin/feed-tokens", data={"name": "SIS nightly"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    raw = _raw_token(response.get_data(as_text=True))
    assert school_for_token(db_session, raw) == school
    assert raw not in client.get("/admin/feed-tokens").get_data(as_text=True)  # never shown again
    token = db_session.query(FeedToken).one()
    assert client.post(f"/admin/feed-tokens/{token.id}/revoke").status_code == 303
    assert school_for_token(db_session, raw) is None


def test_principal_dso_cannot_see_or_revoke_another_schools_token(client, db_session, factory, sign_in):
    other = factory.school()
    token, _raw = create_feed_token(db_session, other, name="Other school SIS", actor=Actor.system())
    sign_in(factory.user(role=Role.PRINCIPAL_DSO))
    assert "Other school SIS" not in client.get("/admin/feed-tokens").get_data(as_text=True)
    assert client.post(f"/admin/feed-tokens/{token.id}/revoke").status_code == 404


def test_operator_creates_a_token_for_a_school_by_code(client, db_session, factory, sign_in):
    school = factory.school()
    sign_in(factory.user(role=Role.OPERATOR))
    response = client.post("/operator/feed-tokens", data={"name": "SIS", "school_code": school.code})
    assert school_for_token(db_session, _raw_token(response.get_data(as_text=True))) == school
    bad = client.post("/operator/feed-tokens", data={"name": "SIS", "school_code": "NOPE"})
    assert bad.status_code == 422 and "no school with that code" in bad.get_data(as_text=True)


@pytest.mark.parametrize("data", [{"name": ""}, {"name": "x" * 101}, {"name": "x" * 1_000_000}])
def test_bad_token_name_is_a_422(client, factory, sign_in, data):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO))
    assert client.post("/admin/feed-tokens", data=data).status_code in (413, 422)


@pytest.mark.parametrize("role", [Role.DSO, Role.STUDENT, Role.SUPPORT])
def test_others_cannot_manage_tokens(client, factory, sign_in, role):
    sign_in(factory.user(role=role))
    assert client.get("/admin/feed-tokens").status_code == 403
    assert client.post("/admin/feed-tokens", data={"name": "x"}).status_code == 403
    assert client.get("/operator/feed-tokens").status_code == 403
