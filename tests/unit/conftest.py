"""Fixtures the service tests share: a school, a student of it on post-completion OPT through 2026 as the records
stood on TODAY, the student acting on their own record, and a DSO of the school."""

from datetime import date

import pytest

from portal.models.enums import Role
from portal.services.actors import Actor

TODAY = date(2026, 3, 1)


@pytest.fixture
def student(factory, school):
    """Approved post-completion OPT from January 1 to December 31, 2026."""
    return factory.student(school=school, opt_start=date(2026, 1, 1), opt_end=date(2026, 12, 31), today=TODAY)


@pytest.fixture
def student_user(factory, student):
    return factory.user(role=Role.STUDENT, student=student)


@pytest.fixture
def actor(student_user):
    """The student, acting on their own record."""
    return Actor.for_user(student_user)


@pytest.fixture
def dso(factory, school):
    """A DSO of the school (the student's), acting."""
    return Actor.for_user(factory.user(role=Role.DSO, school=school))
