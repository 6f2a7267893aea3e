"""Password hashing: argon2id with OWASP's parameters, the whole password, normalised, never a crash; and the bound on
concurrent argon2 runs (a caller waits a short while for a slot, then is refused with a time to retry)."""

from __future__ import annotations

import threading

import pytest

from portal.config import Config
from portal.services.passwords import (
    HashingBusy,
    HashingSlots,
    hash_password,
    needs_rehash,
    normalize_password,
    verify_password,
)
from tests.support.hashing import hash_in_flight

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


def _hold(slots: HashingSlots):
    """A thread holding one of ``slots`` until the returned event is set; returns (release, thread)."""
    held, release = threading.Event(), threading.Event()

    def holding():
        with slots.slot():
            held.set()
            release.wait(timeout=60)

    thread = threading.Thread(target=holding, daemon=True)
    thread.start()
    assert held.wait(timeout=60)
    return release, thread


def test_a_caller_finding_every_slot_taken_is_refused_with_when_to_try_again():
    slots = HashingSlots(1, wait=0, retry_after=7)
    release, thread = _hold(slots)
    with pytest.raises(HashingBusy) as refused:
        with slots.slot():
            pytest.fail("ran without a slot")
    assert refused.value.retry_after == 7
    assert refused.value.message == "Many students are signing in; try again in 7 seconds."
    release.set()
    thread.join(timeout=60)
    with slots.slot():  # freed
        pass


def test_a_waiting_caller_gets_the_slot_freed_within_its_wait():
    slots = HashingSlots(1, wait=60, retry_after=5)
    release, holder = _hold(slots)
    got = []

    def waiting():
        with slots.slot():
            got.append(True)

    waiter = threading.Thread(target=waiting, daemon=True)
    waiter.start()
    release.set()
    holder.join(timeout=60)
    waiter.join(timeout=60)
    assert got == [True]


def test_as_many_callers_as_slots_run_at_once():
    slots = HashingSlots(2, wait=0, retry_after=5)
    first_release, first = _hold(slots)
    second_release, second = _hold(slots)
    with pytest.raises(HashingBusy):
        with slots.slot():
            pass
    for release, thread in ((first_release, first), (second_release, second)):
        release.set()
        thread.join(timeout=60)


def test_a_thread_holding_a_slot_takes_no_second_one_and_frees_it_on_an_error():
    slots = HashingSlots(1, wait=0, retry_after=5)
    with pytest.raises(ValueError, match="inside"):
        with slots.slot():
            with slots.slot():  # one request's several hashes share its slot: never refused half-way
                raise ValueError("inside")
    release, thread = _hold(slots)  # the slot was given back despite the error
    release.set()
    thread.join(timeout=60)


@pytest.mark.parametrize("size", [0, -1])
def test_at_least_one_slot(size):
    with pytest.raises(ValueError, match="at least 1"):
        HashingSlots(size, wait=1, retry_after=5)


def test_hashing_and_checking_take_the_configured_slots(app, monkeypatch):
    monkeypatch.setitem(app.config, "ARGON2_MAX_CONCURRENT", 1)
    monkeypatch.setitem(app.config, "ARGON2_QUEUE_TIMEOUT", 0)
    monkeypatch.setitem(app.config, "ARGON2_RETRY_AFTER", 9)
    with app.app_context():
        stored = hash_password("violet harbor seventy kites")
        with hash_in_flight(app):
            with pytest.raises(HashingBusy, match="try again in 9 seconds"):
                hash_password("violet harbor seventy kites")
            with pytest.raises(HashingBusy):
                verify_password(stored, "violet harbor seventy kites")
            assert verify_password(None, "no hash: nothing to run, no slot needed") is False
        assert verify_password(stored, "violet harbor seventy kites")


@pytest.mark.parametrize(
    ("queue_timeout", "retry_after", "told"),
    [(-1, 0, "1 seconds"), (0, 0.4, "1 seconds"), (0.0, 7.5, "8 seconds"), (0, 3, "3 seconds")],
)
def test_the_limit_binds_whatever_its_configured_values(app, monkeypatch, queue_timeout, retry_after, told):
    # The slots clamp these values; the limit must still be one set of slots, made once.
    monkeypatch.setitem(app.config, "ARGON2_MAX_CONCURRENT", 1)
    monkeypatch.setitem(app.config, "ARGON2_QUEUE_TIMEOUT", queue_timeout)
    monkeypatch.setitem(app.config, "ARGON2_RETRY_AFTER", retry_after)
    with app.app_context():
        stored = hash_password("violet harbor seventy kites")
        with hash_in_flight(app):
            with pytest.raises(HashingBusy, match=f"try again in {told}"):
                verify_password(stored, "violet harbor seventy kites")
