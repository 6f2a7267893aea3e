"""The numbers the timeline counts with, pinned to their sources: changing one changes a rule."""

from portal.services.timeline.limits import (
    ACCESS_ENDING_DAYS,
    DUTY_DUE_DAYS,
    DUTY_REMINDER_DAYS,
    EMAIL_THRESHOLDS,
    NEARING_LIMIT_REMAINING,
    POST_COMPLETION_ALLOWANCE,
    STEM_EXTRA_ALLOWANCE,
)


def test_unemployment_allows_90_days_and_150_with_stem_opt():
    # 8 CFR 214.2(f)(10)(ii)(E); DESIGN rule 16.
    assert (POST_COMPLETION_ALLOWANCE, POST_COMPLETION_ALLOWANCE + STEM_EXTRA_ALLOWANCE) == (90, 150)


def test_the_warning_emails_fall_at_60_and_80_days_before_the_limit_and_the_alert_at_30_left():
    assert EMAIL_THRESHOLDS == (60, 80)
    assert max(EMAIL_THRESHOLDS) < POST_COMPLETION_ALLOWANCE
    assert NEARING_LIMIT_REMAINING == 30


def test_stem_duties_are_due_10_days_after_each_mark_and_reminded_30_days_before():
    # DESIGN rule 15; 8 CFR 214.2(f)(12).
    assert (DUTY_DUE_DAYS, DUTY_REMINDER_DAYS) == (10, 30)


def test_the_access_ending_notice_comes_30_days_before_access_closes():
    assert ACCESS_ENDING_DAYS == 30
