"""Field cleaning: what each cleaner keeps, and the message on the field for what it refuses."""

from datetime import date

import pytest

from portal.services.errors import InvalidValue
from portal.services.validation import (
    MAX_ID,
    bounded_int,
    clean_date,
    clean_digits,
    clean_int,
    clean_phone,
    clean_state,
    clean_text,
    clean_us_phone,
    clean_zip,
)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("99999999999999999999", None),
        ("9" * 5000, None),
        ("-1", None),
        ("+1", None),
        ("1e3", None),
        ("NaN", None),
        ("", None),
        (None, None),
        ("١٢", None),
        (True, None),
        (7, 7),
        (10**30, None),
    ],
)
def test_bounded_int_takes_plain_digits_within_range_only(raw, number):
    assert bounded_int(raw) == number


@pytest.mark.parametrize(
    ("raw", "minimum", "maximum", "number"), [("5", 1, 10, 5), ("0", 1, 10, None), ("11", 1, 10, None)]
)
def test_bounded_int_keeps_to_the_range_it_is_given(raw, minimum, maximum, number):
    assert bounded_int(raw, minimum=minimum, maximum=maximum) == number


def test_a_number_out_of_the_list_is_refused_on_its_field():
    assert clean_int("3", field="school", label="school") == 3
    with pytest.raises(InvalidValue, match="Choose the school from the list") as refused:
        clean_int("3; DROP TABLE", field="school", label="school")
    assert refused.value.field == "school"


@pytest.mark.parametrize(
    ("raw", "options", "kept"),
    [
        ("  Data   Analyst ", {}, "Data Analyst"),
        ("", {}, None),
        (None, {}, None),
        (42, {}, "42"),
        ("line one\r\nline two", {"multiline": True}, "line one\nline two"),
        ("line one\nline two", {}, "line one line two"),
        ("x" * 20, {}, "x" * 20),
    ],
)
def test_clean_text_trims_and_joins_what_it_keeps(raw, options, kept):
    assert clean_text(raw, field="title", label="job title", max_length=20, **options) == kept


@pytest.mark.parametrize(
    ("raw", "options", "message"),
    [
        ("", {"required": True}, "Enter the job title."),
        ("x" * 11, {}, "at most 10 characters \\(you entered 11\\)"),
        ("Ana\ufffdlyst", {}, "could not read"),
        ("Ana\x00lyst", {}, "invisible control characters"),
        ("Ana\nlyst", {"multiline": True, "max_length": 20}, None),
        ("<b>Boss</b>", {"max_length": 20}, "Remove the < and > characters"),
        ("Analyst 2", {"no_digits": True}, "cannot contain digits"),
    ],
)
def test_clean_text_refuses_on_the_field_with_a_reason(raw, options, message):
    options = {"max_length": 10, **options}
    if message is None:
        assert clean_text(raw, field="title", label="job title", **options) == raw
        return
    with pytest.raises(InvalidValue, match=message) as refused:
        clean_text(raw, field="title", label="job title", **options)
    assert refused.value.field == "title"


@pytest.mark.parametrize(("raw", "kept"), [("ma", "MA"), (" PR ", "PR"), ("DC", "DC")])
def test_a_state_or_territory_code_is_kept_upper_case(raw, kept):
    assert clean_state(raw) == kept


@pytest.mark.parametrize("raw", ["", None, "XX", "Massachusetts", 12])
def test_anything_but_a_state_code_is_refused(raw):
    with pytest.raises(InvalidValue, match="Choose a US state") as refused:
        clean_state(raw)
    assert refused.value.field == "state"


@pytest.mark.parametrize(
    ("raw", "state", "kept"), [("02110", "MA", "02110"), (" 02110-1234 ", "MA", "02110"), ("021101234", None, "02110")]
)
def test_a_zip_code_that_exists_in_the_state_is_kept_as_five_digits(raw, state, kept):
    assert clean_zip(raw, state=state) == kept


@pytest.mark.parametrize(
    ("raw", "state", "message"),
    [
        ("", "MA", "Enter a 5-digit ZIP code"),
        ("2110", "MA", "Enter a 5-digit ZIP code"),
        ("02110-12", "MA", "Enter a 5-digit ZIP code"),
        ("00000", "MA", "ZIP code 00000 does not exist"),
        ("02110", "NY", "ZIP code 02110 is not in New York"),
    ],
)
def test_a_zip_code_that_is_malformed_missing_or_in_another_state_is_refused(raw, state, message):
    with pytest.raises(InvalidValue, match=message) as refused:
        clean_zip(raw, state=state)
    assert refused.value.field == "postal_code"


@pytest.mark.parametrize(
    ("raw", "options", "kept"),
    [
        ("12-34 56", {}, "123456"),
        ("(12).34", {}, "1234"),
        ("", {}, None),
        ("12-3456789", {"length": 9}, "123456789"),
    ],
)
def test_clean_digits_drops_what_people_type_between_digits(raw, options, kept):
    assert clean_digits(raw, field="ein", label="EIN", **options) == kept


@pytest.mark.parametrize(
    ("raw", "options", "message"),
    [
        ("", {"required": True}, "Enter the EIN."),
        ("12a4", {}, "only digits"),
        ("١٢٣", {}, "only digits"),
        ("1234", {"length": 9}, "must be 9 digits"),
        ("12345", {"max_length": 4}, "at most 4 digits"),
    ],
)
def test_clean_digits_refuses_on_the_field(raw, options, message):
    with pytest.raises(InvalidValue, match=message) as refused:
        clean_digits(raw, field="ein", label="EIN", **options)
    assert refused.value.field == "ein"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("617 555 0100", "6175550100"), ("+1 (617) 555-0100", "6175550100"), ("1-617-555-0100", "6175550100"), ("", None)],
)
def test_a_us_phone_is_ten_digits_without_the_country_code(raw, kept):
    assert clean_us_phone(raw, field="supervisor_phone") == kept


@pytest.mark.parametrize("raw", ["555 0100", "2 617 555 0100", "+44 20 7946 0958"])
def test_a_us_phone_of_another_length_or_country_is_refused(raw):
    with pytest.raises(InvalidValue) as refused:
        clean_us_phone(raw, field="supervisor_phone")
    assert refused.value.field == "supervisor_phone"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("617 555 0100", "6175550100"),
        ("+1 617 555 0100", "6175550100"),
        ("16175550100", "6175550100"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+91 (98) 7654-3210", "+919876543210"),
    ],
)
def test_a_phone_is_ten_us_digits_or_plus_and_an_international_number(raw, kept):
    assert clean_phone(raw) == kept


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter your phone number"),
        (None, "Enter your phone number"),
        ("+44 12", "Enter an international number"),
        ("+0 123 456 789", "Enter an international number"),
        ("617 555 O100", "only digits, spaces and dashes"),
        ("555 0100", "Enter a 10-digit US phone number"),
    ],
)
def test_a_phone_that_is_neither_is_refused_on_the_phone_field(raw, message):
    with pytest.raises(InvalidValue, match=message) as refused:
        clean_phone(raw)
    assert refused.value.field == "phone"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("2026-03-31", date(2026, 3, 31)),
        (" 2024-02-29 ", date(2024, 2, 29)),
        (date(2026, 1, 1), date(2026, 1, 1)),
        ("", None),
    ],
)
def test_a_date_is_taken_as_a_date_or_an_iso_string(raw, kept):
    assert clean_date(raw, field="start_date", label="start date") == kept


@pytest.mark.parametrize(
    ("raw", "required", "message"),
    [
        ("2025-02-29", False, "as a real date"),
        ("31/03/2026", False, "as a real date"),
        (None, True, "Enter the start date"),
    ],
)
def test_a_date_that_does_not_exist_or_is_missing_when_required_is_refused(raw, required, message):
    with pytest.raises(InvalidValue, match=message) as refused:
        clean_date(raw, field="start_date", label="start date", required=required)
    assert refused.value.field == "start_date"
