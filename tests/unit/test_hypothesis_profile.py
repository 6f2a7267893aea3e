"""Hypothesis runs the same way on a busy machine as on a quiet one, whichever test files are collected."""

import os
from pathlib import Path

from hypothesis import HealthCheck, settings

THIS_FILE = Path(__file__).resolve()
TESTS = THIS_FILE.parents[1]


def test_no_hypothesis_test_can_fail_because_the_machine_is_slow():
    if os.environ.get("HYPOTHESIS_PROFILE"):
        return  # another profile was chosen on purpose
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check
    assert settings.default.derandomize
    # The profile keeps each test's example count: Hypothesis's own unless the test sets one.
    assert settings.default.max_examples == settings.get_profile("default").max_examples


def test_only_the_conftest_loads_a_profile():
    """A profile loaded by a test module would set every other module's settings too (collection imports them all)."""
    loaders = [
        path.relative_to(TESTS).as_posix()
        for path in TESTS.rglob("*.py")
        if path != THIS_FILE and path.name != "conftest.py" and "load_profile(" in path.read_text()
    ]
    assert loaders == []
