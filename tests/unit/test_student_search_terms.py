"""The students list's query read from request arguments: bad values become messages, and it round-trips."""

import pytest

from portal.models.enums import OptKind
from portal.services.student_search_terms import parse


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"q": "x" * 201}, "q", "at most 200 characters"),
        ({"q": "a\x00b"}, "q", "at most 200 characters"),
        ({"opt_kind": "<script>"}, "opt_kind", "Choose one of the listed values."),
        ({"opt_status": "maybe"}, "opt_status", "Choose one of the listed values."),
        ({"account": "everyone"}, "account", "Choose one of the listed values."),
        ({"changed_since": "31/31/2026"}, "changed_since", "Enter a date like 2026-03-31."),
    ],
)
def test_bad_arguments_become_a_message_on_their_field_never_an_exception(args, field, message):
    query = parse(args)
    assert list(query.errors) == [field] and message in query.errors[field]


@pytest.mark.parametrize(
    ("args", "sort", "per_page", "page"),
    [
        ({}, "name", 25, 1),
        ({"sort": "sevis_id", "per_page": "1000", "page": "3"}, "sevis_id", 1000, 3),
        ({"sort": "drop table", "per_page": "7", "page": "-4"}, "name", 25, 1),
        ({"per_page": "ten", "page": "x"}, "name", 25, 1),
        ({"page": "99999999999"}, "name", 25, 1_000_000),
    ],
)
def test_sort_page_size_and_page_fall_back_to_defaults_or_bounds(args, sort, per_page, page):
    query = parse(args)
    assert (query.sort, query.per_page, query.page, query.errors) == (sort, per_page, page, {})


def test_the_query_round_trips_through_its_url_arguments():
    query = parse(
        {
            "q": "Zhang",
            "opt_kind": OptKind.STEM.value,
            "no_employer": "1",
            "changed_since": "2026-03-31",
            "sort": "email",
            "dir": "desc",
            "per_page": "100",
            "page": "2",
        }
    )
    assert parse(query.as_args()).as_args() == query.as_args()
    assert query.as_args(page=None) == {key: value for key, value in query.as_args().items() if key != "page"}
