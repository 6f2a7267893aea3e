"""Fixtures the DSO page tests share: a DSO of the school (tests/conftest.py), signed in."""

import pytest

from portal.models.enums import Role


@pytest.fixture
def dso(factory, school, sign_in):
    user = factory.user(role=Role.DSO, school=school)
    sign_in(user)
    return user
