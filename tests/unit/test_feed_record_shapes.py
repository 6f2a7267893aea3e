"""The shape of a JSON feed line: no NaN or Infinity, bounded nesting, and a record of the wrong shape named by its field."""

import pytest

from portal.services.feed.record_shapes import (
    MAX_DEPTH,
    MalformedLine,
    load_line,
    nesting_depth_exceeds,
    record_problem,
)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"a": NaN}', "NaN is not a JSON number"),
        ('{"a": Infinity}', "Infinity is not a JSON number"),
        ('{"a": 1', "column"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"more than {MAX_DEPTH} levels"),
    ],
)
def test_a_line_the_feed_cannot_read_is_refused_with_the_reason(line, reason):
    with pytest.raises(MalformedLine, match=reason):
        load_line(line)


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert not nesting_depth_exceeds('{"a": "' + "[" * 50 + '"}')
    assert load_line('{"a": "' + "[" * 50 + '"}') == {"a": "[" * 50}


@pytest.mark.parametrize(
    ("action", "record", "problem"),
    [
        ("PersonalInfo.Email", {"action": "PersonalInfo.Email", "data": {"email": "a@b.edu"}}, None),
        (
            "PersonalInfo.Email",
            {"action": "PersonalInfo.Email", "data": {"email": ["a@b.edu"]}},
            ("email", "email has the wrong type: it must be text in quotes."),
        ),
        (
            "OPTEmployer.Add",
            {"action": "OPTEmployer.Add", "data": {"employers": {"name": "x"}}},
            ("employers", "employers has the wrong type: it must be a list [...]."),
        ),
        (
            "OPTEmployer.Add",
            {"action": "OPTEmployer.Add", "data": {"employers": [{"nmae": "x"}]}},
            ("employers.0.nmae", "employers.0.nmae has the wrong type: this field is not one the record takes."),
        ),
        (
            "PersonalInfo.Email",
            {"action": "PersonalInfo.Email", "sevis_id": 12, "data": {}},
            ("sevis_id", "sevis_id has the wrong type: it must be text in quotes."),
        ),
    ],
)
def test_a_record_of_the_wrong_shape_names_its_field(action, record, problem):
    assert record_problem(action, record) == problem
