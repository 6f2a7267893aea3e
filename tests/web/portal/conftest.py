"""What the student page tests share: a student and their account, signed in; a day the dated pages are read on,
and a clock standing still on a day."""

from datetime import date, datetime

import pytest
import time_machine

from portal.models.enums import Role
from portal.services.clock import EASTERN

TODAY = date(2026, 3, 16)


def at(day: date, hour: int = 12, minute: int = 0):
    """Travel to ``day`` at ``hour``:``minute`` US Eastern time, the clock standing still."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, minute, tzinfo=EASTERN), tick=False)


@pytest.fixture
def student(factory):
    return factory.student()


@pytest.fixture
def signed_in(factory, sign_in, student):
    user = factory.user(role=Role.STUDENT, student=student)
    assert sign_in(user).status_code == 303
    return user


def post_sign_in(client, email, password, **kwargs):
    """Send the sign-in form as a person would (the `sign_in` fixture also finishes the steps that follow)."""
    return client.post("/", data={"email": email, "password": password}, **kwargs)
