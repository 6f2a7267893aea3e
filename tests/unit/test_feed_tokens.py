"""The data feed's tokens: stored hashed, revocable, managed by the principal DSO or an operator only."""

import pytest

from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import NotAllowed
from portal.services.feed.tokens import create_feed_token, revoke_feed_token, school_for_token


def test_tokens_are_stored_hashed_and_stop_working_when_revoked(factory, db_session):
    school = factory.school()
    token, raw = create_feed_token(db_session, school, name="SIS nightly", actor=Actor.system())
    assert raw not in token.token_hash and school_for_token(db_session, raw) == school
    assert school_for_token(db_session, raw + "x") is None and school_for_token(db_session, None) is None
    revoke_feed_token(db_session, token, actor=Actor.system())
    assert school_for_token(db_session, raw) is None


@pytest.mark.parametrize("role", [Role.DSO, Role.STUDENT, Role.SUPPORT])
def test_only_the_principal_dso_or_an_operator_manages_tokens(factory, db_session, role):
    school = factory.school()
    user = factory.user(role=role, school=school if role is Role.DSO else None)
    with pytest.raises(NotAllowed):
        create_feed_token(db_session, school, name="x", actor=Actor.for_user(user))
    principal = factory.user(role=Role.PRINCIPAL_DSO, school=school)
    assert create_feed_token(db_session, school, name="x", actor=Actor.for_user(principal))[1]
