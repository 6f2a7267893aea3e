"""Fixtures the student page tests share: a student and their account, signed in."""

import pytest

from portal.models.enums import Role


@pytest.fixture
def student(factory):
    return factory.student()


@pytest.fixture
def signed_in(factory, sign_in, student):
    user = factory.user(role=Role.STUDENT, student=student)
    assert sign_in(user).status_code == 303
    return user
