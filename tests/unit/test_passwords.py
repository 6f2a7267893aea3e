"""Password hashing (point 2): argon2id with OWASP's parameters, the whole password, normalised, never a crash."""

from __future__ import annotations

import pytest

from portal.config import Config
from portal.services.passwords import hash_password, needs_rehash, normalize_password, verify_password

GOOD = "violet harbor seventy kites"


def test_128_characters_are_hashed_whole_never_truncated(app):
    with app.app_context():
        long_password = "a quiet lantern " * 8
        assert len(long_password) == 128
        stored = hash_password(long_password)
        assert verify_password(stored, long_password)
        assert not verify_password(stored, long_password[:-1] + "X")


def test_unicode_is_normalized_so_the_same_password_typed_two_ways_matches():
    assert normalize_password("cafe\u0301 au lait ok") == normalize_password("caf\u00e9 au lait ok")


def test_production_argon2_parameters_are_at_least_owasps():
    assert Config.ARGON2_MEMORY_COST >= 19 * 1024
    assert Config.ARGON2_TIME_COST >= 2
    assert Config.ARGON2_PARALLELISM == 1


def test_hash_is_argon2id_with_the_configured_parameters(app):
    with app.app_context():
        stored = hash_password(GOOD)
        config = app.config
        assert stored.startswith("$argon2id$")
        assert (
            f"m={config['ARGON2_MEMORY_COST']},t={config['ARGON2_TIME_COST']},p={config['ARGON2_PARALLELISM']}"
            in stored
        )
        assert not needs_rehash(stored)
        assert needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG")


@pytest.mark.parametrize("stored", [None, "", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$broken"])
def test_a_missing_or_unreadable_hash_matches_no_password(app, stored):
    with app.app_context():
        assert verify_password(stored, GOOD) is False


def test_a_password_typed_in_decomposed_form_signs_in_against_the_composed_hash(app):
    with app.app_context():
        stored = hash_password("caf\u00e9 au lait ok")
        assert verify_password(stored, "cafe\u0301 au lait ok")
        assert not verify_password(stored, "cafe au lait ok")


@pytest.mark.parametrize("stored", ["", "not a hash", "$2b$12$abcdefghijklmnopqrstuu"])
def test_a_hash_argon2_cannot_read_is_rehashed_at_the_next_sign_in(app, stored):
    with app.app_context():
        assert needs_rehash(stored) is True
