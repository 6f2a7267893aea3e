"""Fixtures the DSO page tests share: a school and a DSO of it, signed in."""

import pytest

from portal.models.enums import Role


@pytest.fixture
def school(factory):
    return factory.school()


@pytest.fixture
def dso(factory, school, sign_in):
    user = factory.user(role=Role.DSO, school=school)
    sign_in(user)
    return user
