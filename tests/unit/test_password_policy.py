"""Point 2: 12-128 characters of anything; no common or personal passwords; none of the last eight."""

from __future__ import annotations

import pytest

from portal.services.errors import InvalidValue
from portal.services.password_policy import check_new_password
from portal.services.passwords import hash_password

GOOD = "violet harbor seventy kites"


@pytest.mark.parametrize(
    "password, reason",
    [
        ("", "Enter a password"),
        ("short words", "at least 12"),
        ("x" * 129, "at most 128"),
        ("password12345", "common"),
        ("qwertyuiop123", "common"),
        ("tab\tinside password", "control characters"),
        ("my N0012345678 secret words", "SEVIS ID"),
        ("linh.nguyen loves kites", "email"),
        ("opt portal is my favourite", "site's name"),
        ("OPTPortal violet harbor", "site's name"),
    ],
)
def test_refused_passwords_say_why(password, reason):
    with pytest.raises(InvalidValue, match=reason) as refused:
        check_new_password(password, sevis_id="N0012345678", email="linh.nguyen@example.edu", site_name="OPT Portal")
    assert refused.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [
        GOOD,
        "twelve chars",  # exactly 12, not common
        "Ünïcödé pässwörd straße 水",
        "y" * 3 + "kz" + " quiet lantern " * 8,  # long (over the estimator's window), not truncated
        "🙂 emoji are fine here too",
    ],
)
def test_accepted_passwords_have_no_composition_rules(password):
    password = password[:128]
    check_new_password(password, sevis_id="N0012345678", email="linh.nguyen@example.edu")


@pytest.mark.parametrize(
    "current_typed, current_stored, earlier, refused",
    [
        (GOOD, None, [], "This is your current password"),  # typed in the same form: compared as text
        ("cafe\u0301 violet harbor", None, [], None),
        (None, GOOD, [], "This is your current password"),  # from a link: the stored hash is checked
        (None, "another old password x", [GOOD], "You used this password before"),
        (None, "another old password x", ["third old password x", GOOD], None),  # two back: allowed
        (None, None, [], None),  # a first password
    ],
)
def test_the_current_password_and_the_one_before_it_are_refused(app, current_typed, current_stored, earlier, refused):
    """SP 800-63B asks for no history; the current password is the one a forced change must replace, so it and the
    one before it are refused (HISTORY_DEPTH = 2), and earlier ones are not checked (each costs an argon2 run)."""
    with app.app_context():
        current_hash = hash_password(current_stored) if current_stored else None
        earlier_hashes = [hash_password(each) for each in earlier]
        history = {"current_password": current_typed, "current_hash": current_hash, "earlier_hashes": earlier_hashes}
        if refused is None:
            check_new_password(GOOD, **history)
            return
        with pytest.raises(InvalidValue, match=refused) as error:
            check_new_password(GOOD, **history)
        assert error.value.field == "password" and "not used here before" in error.value.message
