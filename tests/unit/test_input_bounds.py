"""One email address per field (email-validator) and whole numbers bounded before they reach the database."""

import pytest

from portal.services.errors import InvalidValue
from portal.services.reset_requests import record_reset_request
from portal.services.students import normalize_email
from portal.services.validation import clean_email, email_address

SEVERAL = [
    "postmaster,abuse,victim2@evil.example",
    "a@example.edu;b@example.edu",
    "a@example.edu b@example.edu",
    "Name <a@example.edu>",
    '"a,b"@example.edu',
    "a@[192.0.2.1]",
    "a@example.edu\nBcc: c@example.edu",
    "a@localhost",
    "a@example",
    "",
    "a" * 250 + "@example.edu",
]


@pytest.mark.parametrize("typed", SEVERAL)
def test_anything_but_one_plain_address_is_refused_by_every_address_check(typed):
    assert email_address(typed) is None
    with pytest.raises(InvalidValue):
        clean_email(typed, field="email", required=True)
    with pytest.raises(InvalidValue):
        normalize_email(typed)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Name.Surname@Example.EDU ", "name.surname@example.edu"),
        ("o'brien+opt@mail.example.org", "o'brien+opt@mail.example.org"),
    ],
)
def test_one_address_is_trimmed_and_lower_cased_as_before(typed, stored):
    assert email_address(typed) == stored == clean_email(typed, field="email") == normalize_email(typed)


def test_a_reset_request_for_a_list_of_addresses_is_refused_on_the_field(db_session):
    with pytest.raises(InvalidValue) as refused:
        record_reset_request(db_session, "postmaster,abuse,victim2@evil.example")
    assert refused.value.field == "email"
