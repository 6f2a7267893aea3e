"""The primary navigation: each role's links, Account security and Sign out for everyone, the current page marked."""

import re

import pytest

from portal.models.enums import Role
from portal.web import nav_links


@pytest.mark.parametrize(
    ("role", "first", "count"),
    [
        (Role.STUDENT, "/dashboard", 7),
        (Role.DSO, "/admin/", 8),
        (Role.PRINCIPAL_DSO, "/admin/", 9),
        (Role.SUPPORT, "/support/", 2),
        (Role.OPERATOR, "/operator/", 2),
    ],
)
def test_each_role_has_its_links_then_account_security(role, first, count):
    links = nav_links(role)
    assert links[0][0] == first and links[-1] == ("/account/security", "Account security") and len(links) == count
    assert (("/admin/feed-tokens", "Feed tokens") in links) is (role is Role.PRINCIPAL_DSO)


def test_the_current_page_and_its_sub_pages_are_marked(client, factory, sign_in):
    sign_in(factory.user(role=Role.STUDENT))
    for path, current in (("/employers", "/employers"), ("/employers/new", "/employers"), ("/history", "/history")):
        page = client.get(path).get_data(as_text=True)
        marked = re.findall(r'<a href="([^"]+)" class="usa-nav-link usa-current" aria-current="page">', page)
        assert marked == [current, current]  # the menu and its noscript copy
    page = client.get("/employers").get_data(as_text=True)
    assert page.count('action="/sign-out"') == 2 and page.count('href="/account/security"') == 2
