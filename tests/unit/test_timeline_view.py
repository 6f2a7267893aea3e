"""What a timeline says: the unemployment count's warnings (rule 16) and the DSO's "nearing the limit" alert."""

from datetime import date

import pytest

from portal.services.timeline.view import UnemploymentCount


@pytest.mark.parametrize(
    ("used", "allowed", "counting", "remaining", "warning", "exhausted", "nearing", "percent"),
    [
        (0, 0, False, 0, False, False, False, 0),  # no OPT yet: nothing to count
        (10, 90, True, 80, False, False, False, 11),
        (59, 90, True, 31, False, False, False, 66),
        (60, 90, True, 30, True, False, True, 67),  # the warning and the alert start together on 90 days
        (60, 90, False, 30, True, False, False, 67),  # the alert only while the days count
        (89, 90, True, 1, True, False, True, 99),
        (90, 90, True, 0, True, True, True, 100),
        (95, 90, True, 0, True, True, True, 100),  # never past 100%, never below 0 left
        (119, 150, True, 31, True, False, False, 79),  # on STEM: 150 days
        (120, 150, True, 30, True, False, True, 80),
    ],
)
def test_the_count_says_what_is_left_and_when_to_warn(
    used, allowed, counting, remaining, warning, exhausted, nearing, percent
):
    count = UnemploymentCount(used=used, allowed=allowed, runs_out_on=date(2026, 6, 1), counting=counting)
    said = (count.remaining, count.warning, count.exhausted, count.nearing_limit, count.percent_used)
    assert said == (remaining, warning, exhausted, nearing, percent)
