"""What the data feed tokens pages read: one school's tokens, or every school's, newest first."""

from datetime import UTC, datetime, timedelta

import time_machine

from portal.services.actors import Actor
from portal.services.feed.tokens import create_feed_token
from portal.services.feed_token_list import feed_token, feed_tokens


def test_one_schools_tokens_or_every_schools_newest_first_with_the_school_code(factory, db_session):
    here, there = factory.school(), factory.school()
    made = []
    for n, school in enumerate((here, there, here)):
        with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n), tick=False):
            made.append(create_feed_token(db_session, school, name=f"Token {n}", actor=Actor.system())[0])
    assert feed_tokens(db_session, here.id, limit=10) == [(made[2], here.code), (made[0], here.code)]
    assert [token for token, _code in feed_tokens(db_session, None, limit=10)][:3] == made[::-1]
    assert [token for token, _code in feed_tokens(db_session, None, limit=1)] == [made[2]]


def test_a_token_of_another_school_is_none(factory, db_session):
    here, there = factory.school(), factory.school()
    token, _raw = create_feed_token(db_session, there, name="Theirs", actor=Actor.system())
    assert feed_token(db_session, token.id, there.id) is token and feed_token(db_session, token.id, None) is token
    assert feed_token(db_session, token.id, here.id) is None and feed_token(db_session, 10**9, None) is None
