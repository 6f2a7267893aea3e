"""The bound on concurrent argon2 runs: a caller waits a short while for a slot, then is refused with a time to retry."""

from __future__ import annotations

import threading

import pytest

from portal.services.passwords import HashingBusy, HashingSlots, hash_password, verify_password
from tests.support.hashing import hash_in_flight


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
