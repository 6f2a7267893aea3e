"""Domain errors: the answer each one becomes, the field its message belongs to, and who catches whom."""

from __future__ import annotations

import pytest

from portal.services.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotAllowed,
    NotFound,
    RuleBroken,
    SecretUnreadable,
    StaleEdit,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RuleBroken("Tick the box."), 422),
        (InvalidValue("Enter a SEVIS ID."), 422),
        (Conflict("Already deleted."), 409),
        (StaleEdit("Someone changed this."), 409),
        (NotAllowed("Support cannot change a record."), 403),
        (NotFound("No such employer."), 404),
        (SecretUnreadable("The key does not open."), 503),
    ],
)
def test_each_error_answers_with_its_status_and_keeps_its_message(error, status):
    assert isinstance(error, DomainError)
    assert error.status_code == status
    assert error.message == str(error) == error.args[0]


@pytest.mark.parametrize(("caught", "raised"), [(RuleBroken, InvalidValue), (Conflict, StaleEdit)])
def test_a_handler_for_the_general_error_also_catches_the_particular_one(caught, raised):
    with pytest.raises(caught):
        raise raised("message")


@pytest.mark.parametrize("other", [Conflict, NotAllowed, NotFound, SecretUnreadable])
def test_a_rule_handler_does_not_swallow_errors_that_are_not_broken_rules(other):
    assert not issubclass(other, RuleBroken)


def test_the_field_names_where_the_message_goes_and_is_none_otherwise():
    assert InvalidValue("Choose the kind of employment.", field="employment_type").field == "employment_type"
    assert RuleBroken("Tick the box.").field is None


def test_a_stale_edit_carries_the_values_now_and_an_empty_record_when_none_are_given():
    assert StaleEdit("Changed.", current={"job_title": "Analyst"}).current == {"job_title": "Analyst"}
    first, second = StaleEdit("Changed."), StaleEdit("Changed.")
    assert first.current == {}
    first.current["job_title"] = "Analyst"
    assert second.current == {}
