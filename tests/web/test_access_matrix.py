"""Point 9: every registered route, for anonymous users and every role, gets the outcome its guard promises.

A view must carry ``allowed_roles`` (from ``portal.auth.roles_required`` and the guards built on it)
or be in PUBLIC_ENDPOINTS below; a new route without a guard fails ``test_every_route_has_a_guard``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import url_for
from werkzeug.routing import Rule

from dso_admin.routes.student_info import ACTIONS
from portal.models import ChangeListDownload, SevisBatchRecord, SevisRecordResult, SevisTransactionLog
from portal.models.enums import DigestCadence, ExportFormat, Role
from portal.services.accounts import create_account_for_approved_opt
from portal.services.actors import Actor
from portal.services.digests import set_digest_cadence
from tests.support.factories import latest_link_token

# Reachable without signing in, on purpose. Keep this list short and explain each entry.
PUBLIC_ENDPOINTS = {
    "static",  # CSS, JavaScript, fonts
    "health.healthz",  # load balancer
    "health.favicon",  # the site icon browsers fetch from the root
    "auth.sign_in",  # the home page
    "account.create",  # account creation from the emailed link (the token is the credential)
    "account.reset_request",  # self-service reset
    "account.reset",  # reset from the emailed link
}
# Endpoints whose blueprint name or prefix marks them public: help pages, and the feed API (tokens, 401).
PUBLIC_PREFIXES = ("help.", "help_")
TOKEN_PREFIXES = ("feed_api.", "api.", "feed.")

SAMPLE_VALUES = {
    "int": "999999",
    "path": "x/y",
    "string": "x",
    "default": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _view(app, rule: Rule):
    return app.view_functions[rule.endpoint]


def _is_public(endpoint: str) -> bool:
    return endpoint in PUBLIC_ENDPOINTS or endpoint.startswith(PUBLIC_PREFIXES) or endpoint.startswith(TOKEN_PREFIXES)


def _chosen_words() -> dict[str, list[str]]:
    """Arguments that name one of a few actions: each is visited, so a new account action is checked the day it is
    added (the route is shared, the guard is not allowed to depend on the word)."""
    return {"action": sorted(ACTIONS)}


def _urls(app, rule: Rule) -> list[str]:
    values = {}
    for name in rule.arguments:
        converter = (
            type(rule._converters[name]).__name__.replace("Converter", "").lower()
            if name in rule._converters
            else "default"
        )
        if name == "sevis_id":
            values[name] = "N9999999999"
        else:
            values[name] = SAMPLE_VALUES.get(
                {"integer": "int", "boundedinteger": "int", "unicodestring": "string"}.get(converter, converter), "x"
            )
    variants = [values]
    for name, words in _chosen_words().items():
        if name in rule.arguments:
            variants = [{**variant, name: word} for variant in variants for word in words]
    with app.test_request_context():
        return [url_for(rule.endpoint, **variant) for variant in variants]


def _method(rule: Rule) -> str:
    methods = rule.methods - {"HEAD", "OPTIONS"}
    return "GET" if "GET" in methods else sorted(methods)[0]


def _guarded_rules(app):
    return [rule for rule in app.url_map.iter_rules() if not _is_public(rule.endpoint)]


def test_every_route_has_a_guard(app):
    missing = [rule.rule for rule in _guarded_rules(app) if not getattr(_view(app, rule), "allowed_roles", None)]
    assert not missing, f"Routes without roles_required(...) and not declared public: {missing}"


def test_anonymous_users_are_sent_to_sign_in_from_every_guarded_route(app, client):
    for rule in _guarded_rules(app):
        for url in _urls(app, rule):
            response = client.open(url, method=_method(rule))
            assert response.status_code in (302, 303), (url, response.status_code)
            assert response.headers["Location"].startswith("/?next=") or response.headers["Location"] == "/", url


def test_token_api_answers_401_without_a_token(app, client):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(TOKEN_PREFIXES):
            for url in _urls(app, rule):
                assert client.open(url, method=_method(rule)).status_code == 401, url


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_403_from_every_route_not_meant_for_it(app, client, factory, sign_in, role):
    sign_in(factory.user(role=role))
    checked = 0
    for rule in _guarded_rules(app):
        allowed = getattr(_view(app, rule), "allowed_roles", frozenset())
        if role in allowed:
            continue
        for url in _urls(app, rule):
            response = client.open(url, method=_method(rule))
            assert response.status_code == 403, (role, url, response.status_code)
            checked += 1
    if role is not Role.OPERATOR:
        assert checked >= 1  # the operator upgrades page at least


@pytest.mark.parametrize("role", list(Role))
def test_allowed_roles_never_get_a_server_error(app, client, factory, sign_in, role):
    sign_in(factory.user(role=role))
    for rule in _guarded_rules(app):
        if role in getattr(_view(app, rule), "allowed_roles", frozenset()) and _method(rule) == "GET":
            for url in _urls(app, rule):
                assert client.get(url).status_code < 500, url


def test_a_link_token_of_another_user_opens_only_that_users_page(client, factory, db_session):
    """The account pages take no object id: the token is the only key, and a made-up one is a 404."""
    first = create_account_for_approved_opt(db_session, factory.student(), actor=Actor.system())
    token = latest_link_token(db_session, first)
    page = client.get(f"/account/create/{token}")
    assert first.email.encode() in page.data
    assert client.get(f"/account/create/{token[:-2]}xx").status_code == 404


@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO])
def test_another_schools_official_asking_for_a_file_gets_a_404(app, client, factory, sign_in, role):
    """Every route an official may use that serves a student's file (it takes a ``document_id``): asked for another
    school's file, through that student or one of their own, the answer is a 404, never the bytes."""
    student = factory.student()
    document = factory.document(student, upload_dir=app.config["UPLOAD_DIR"])
    own_school = factory.school()
    own_student = factory.student(school=own_school)
    sign_in(factory.user(role=role, school=own_school))
    file_rules = [
        rule
        for rule in _guarded_rules(app)
        if "document_id" in rule.arguments and role in getattr(_view(app, rule), "allowed_roles", frozenset())
    ]
    assert file_rules, "the officials' document route"
    with app.test_request_context():
        urls = [
            url_for(rule.endpoint, sevis_id=sevis_id, document_id=document.id)
            for rule in file_rules
            for sevis_id in (student.sevis_id, own_student.sevis_id)
        ]
    for url in urls:
        assert client.get(url).status_code == 404, url


# Issue 12: an official's own settings take no user id, so nobody can ask for another official's (or school's).
OWN_ACCOUNT_ENDPOINTS = {"admin.digest_settings", "admin.save_digest_settings"}


def test_an_officials_own_settings_are_for_officials_and_name_nobody_else(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint in OWN_ACCOUNT_ENDPOINTS]
    assert {rule.endpoint for rule in rules} == OWN_ACCOUNT_ENDPOINTS
    for rule in rules:
        assert not rule.arguments, rule.rule
        assert _view(app, rule).allowed_roles == {Role.DSO, Role.PRINCIPAL_DSO}, rule.rule


@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO])
def test_another_schools_official_cannot_see_or_alter_an_officials_digest(client, factory, sign_in, db_session, role):
    official = factory.user(role=Role.DSO, school=factory.school())
    set_digest_cadence(db_session, official, actor=Actor.for_user(official), cadence="weekly")
    sign_in(factory.user(role=role, school=factory.school()))
    page = client.get("/admin/digest").get_data(as_text=True)
    assert official.email not in page and official.display_name not in page
    assert client.post("/admin/digest", data={"cadence": "off", "user_id": str(official.id)}).status_code == 303
    db_session.refresh(official)
    assert official.digest_cadence is DigestCadence.WEEKLY


@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO])
def test_another_schools_official_asking_for_a_sevis_result_gets_a_404(app, client, factory, sign_in, db_session, role):
    """Every route an official may use on one SEVIS result (it takes a ``result_id``): another school's is a 404 and
    stays as it was."""
    student = factory.student()
    official = factory.user(role=Role.DSO, school=student.school)
    when = datetime(2026, 11, 2, tzinfo=UTC)
    download = ChangeListDownload(
        user_id=official.id,
        school_id=student.school_id,
        format=ExportFormat.XML,
        covers_from=when,
        covers_until=when,
        row_count=1,
    )
    db_session.add(download)
    db_session.flush()
    record = SevisBatchRecord(download_id=download.id, part=1, request_id="E1", student_id=student.id)
    log = SevisTransactionLog(
        school_id=student.school_id,
        download_id=download.id,
        part=1,
        batch_id="OPT00000000101",
        uploaded_by_user_id=official.id,
    )
    db_session.add_all([record, log])
    db_session.flush()
    result = SevisRecordResult(
        log_id=log.id,
        record_id=record.id,
        school_id=student.school_id,
        student_id=student.id,
        accepted=False,
        message="Rejected",
    )
    db_session.add(result)
    db_session.flush()
    sign_in(factory.user(role=role, school=factory.school()))
    result_rules = [
        rule
        for rule in _guarded_rules(app)
        if "result_id" in rule.arguments and role in getattr(_view(app, rule), "allowed_roles", frozenset())
    ]
    assert result_rules, "the resolve-a-rejection route"
    with app.test_request_context():
        urls = [(url_for(rule.endpoint, result_id=result.id), _method(rule)) for rule in result_rules]
    for url, method in urls:
        assert client.open(url, method=method, data={"confirm": "1"}).status_code == 404, url
    db_session.refresh(result)
    assert result.resolved_at is None


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@pytest.mark.parametrize("role", list(Role))
def test_a_get_changes_nothing(app, client, factory, sign_in, count_queries, role):
    """State changes only by POST (with its CSRF token): a link, an image or a prefetch can change nothing. Every GET
    route a role may open, with the query words a state change might hide behind, writes no row."""
    user = factory.user(role=role)
    sign_in(user)
    client.get("/")  # what signing in itself writes is not the point here
    writes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.startswith(TOKEN_PREFIXES):
            continue
        if not _is_public(rule.endpoint) and role not in getattr(_view(app, rule), "allowed_roles", frozenset()):
            continue
        for url in _urls(app, rule):
            for query in ("", "?restart=1&confirm=1&delete=1&unlock=1&resend=1"):
                with count_queries() as counter:
                    client.get(url + query)
                writes += [
                    (url + query, re.split(r"[?%]", statement)[0].strip())
                    for statement in counter["statements"]
                    if statement.lstrip().upper().startswith(WRITES)
                ]
    assert writes == []
