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


def test_password_equal_to_a_previous_one_is_refused(app):
    with app.app_context():
        previous = [hash_password("first old password x"), hash_password(GOOD)]
        with pytest.raises(InvalidValue, match="last 8"):
            check_new_password(GOOD, previous_hashes=previous)
