"""Employer fields: every field is checked against the SEVIS limits and refused on its own field."""

import pytest

from portal.services.access import student_access
from portal.services.employers import add_employer, visible_employers
from portal.services.errors import RuleBroken
from tests.support.factories import employer_form_data as valid
from tests.unit.conftest import TODAY

BAD_FIELDS = [
    ("name", "", "Enter the employer name"),
    ("name", "x" * 122, "at most 121"),
    ("name", "x" * 1_000_000, "at most 121"),
    ("name", "<script>alert(1)</script>", "< and >"),
    ("name", "Acme\x00Corp", "control characters"),
    ("address_line1", "", "Enter the street address"),
    ("address_line1", "y" * 65, "at most 64"),
    ("city", "c" * 61, "at most 60"),
    ("state", "XX", "US state"),
    ("postal_code", "0211", "5-digit ZIP"),
    ("postal_code", "99999", "does not exist"),
    ("postal_code", "10001", "not in Massachusetts"),
    ("ein", "12345678", "must be 9 digits"),
    ("ein", "12345678A", "only digits"),
    ("course_relevance", "", "Enter the description"),
    ("course_relevance", "z" * 1001, "at most 1000"),
    ("employment_time", "sometimes", "full time or part time"),
    ("start_date", "", "Enter the start date"),
    ("start_date", "2026-02-30", "real date"),
    ("end_date", "2026-02-01", "on or after the start date"),
    ("supervisor_first_name", "Ada2", "cannot contain digits"),
    ("supervisor_first_name", "a" * 81, "at most 80"),
    ("supervisor_last_name", "L" * 41, "at most 40"),
    ("supervisor_phone", "555-0100", "10 digits"),
    ("supervisor_phone", "phone", "only digits"),
    ("supervisor_phone_ext", "123456789", "at most 8 digits"),
    ("supervisor_email", "not-an-email", "like name@example.com"),
    ("job_title", "j" * 65, "at most 64"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS, ids=[f"{f}-{m}" for f, _, m in BAD_FIELDS])
def test_every_field_is_checked_against_the_sevis_limits(db_session, student, actor, field, value, message):
    with pytest.raises(RuleBroken, match=message) as error:
        add_employer(db_session, student, valid(**{field: value}), actor=actor, today=TODAY)
    assert error.value.field == field
    assert visible_employers(db_session, student_access(db_session, student, today=TODAY)) == []
