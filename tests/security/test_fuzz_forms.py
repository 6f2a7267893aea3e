"""Hostile input on every POST route, as every role: never a 500, never a change to another person's data.

The routes come from the app's url_map and the field names from every FlaskForm in the app, so
this grows as routes and forms are added. Each example posts a raw urlencoded body, so values can
be empty, a megabyte long, control characters, HTML, or bytes that are not UTF-8 at all. Path
parameters point at the actor's own records, at a victim's records in another school, and at ids
that do not exist.

Derandomized so CI is repeatable; ``HYPOTHESIS_PROFILE=explore`` runs random examples instead and
``PORTAL_FUZZ_EXAMPLES`` sets how many per route and role.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from portal import create_app
from portal.config import TestConfig
from portal.models import Base, Student
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.feed.tokens import create_feed_token

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "8"))
if os.environ.get("HYPOTHESIS_PROFILE") == "explore":
    EXAMPLES = max(EXAMPLES, 50)
# On this test only (tests/conftest.py's profile covers the rest): values a megabyte long are the point, and the
# client and database fixtures are meant to carry over from one example to the next within a route and role.
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[
        *settings.default.suppress_health_check,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# Words the app's string path parameters take (actions, decisions, formats, address kinds), so examples
# reach the handlers and not only the 404 for an unknown word.
PATH_WORDS = [
    "reset",
    "unlock",
    "resend",
    "approve",
    "deny",
    "correct",
    "csv",
    "xlsx",
    "xml",
    "physical",
    "mailing",
    "remove",
    "cancel",
    "end",
]
ROLES = ["anonymous", "student", "dso", "principal_dso", "support", "operator"]
# Roles whose own legitimate powers reach every school (an operator completing an upgrade forces every
# student's password change): for them we check only "no 500".
GLOBAL_ROLES = {"operator"}


def _post_routes(app) -> list[tuple[str, str, tuple[str, ...]]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            routes.append((rule.endpoint, rule.rule, tuple(sorted(rule.arguments))))
    return sorted(routes, key=lambda route: route[1])


def _all_forms() -> list[type]:
    found, stack = [], [FlaskForm]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def _field_names() -> list[str]:
    names = set()
    for form_class in _all_forms():
        for attribute in dir(form_class):
            unbound = getattr(form_class, attribute, None)
            if getattr(unbound, "field_class", None) is not None:
                names.add(unbound.kwargs.get("name") or attribute)
    names.discard("csrf_token")
    return sorted(names)


def _raw_form_names() -> set[str]:
    """Field names routes read straight from request.form (not through a FlaskForm), e.g. ticked ids, an assignee."""
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"request\.form\.(?:get|getlist)\(\s*\"([a-z_]+)\"|form\.getlist\(\s*\"([a-z_]+)\"")
    names = set()
    for source in [*root.joinpath("portal", "routes").glob("*.py"), *root.joinpath("dso_admin", "routes").glob("*.py")]:
        names.update(name for match in pattern.findall(source.read_text()) for name in match if name)
    return names


_APP = create_app(TestConfig)
ROUTES = _post_routes(_APP)
FIELDS = sorted(set(_field_names()) | _raw_form_names())
HUGE_ID = 99_999_999_999_999_999_999

# -- values --------------------------------------------------------------------------------
CONTROL = "".join(chr(c) for c in range(0, 32)) + "\x7f\u200b\u202e\ufeff"
# Every route and role gets each of these in every field, before the random examples.
HOSTILE = [
    b"",
    b" ",
    b"A" * (1024 * 1024),
    CONTROL.encode(),
    b"<script>alert(1)</script><img src=x onerror=alert(1)>",
    b"\"'><svg/onload=alert(1)>{{7*7}}{% raw %}",
    b"'; DROP TABLE users; --",
    b"-1",
    b"99999999999999999999999999",
    b"9" * 5000,  # past the digits Python converts to an int
    b"NaN",
    b"[" * 100_000,  # nesting, for any field a route decodes as JSON
    b"2026-02-30",
    b"\xff\xfe\xfd caf\xe9 \xc3\x28 \xed\xa0\x80",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE), st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
invalid_utf8 = st.sampled_from([b"\xff\xfe\xfd", b"\xc3\x28", b"caf\xe9", b"\xed\xa0\x80", b"\x00\x80\xbf"])
plausible = st.sampled_from(
    [
        "y",
        "on",
        "1",
        "0",
        "2026-03-01",
        "03/01/2026",
        "Acme Analytics LLC",
        "1 Main Street",
        "Boston",
        "MA",
        "02110",
        "123456789",
        "6175550100",
        "someone@example.org",
        "N0000000101",
        "full_time",
        "physical",
        "a long enough test password",
        "csv",
        "xlsx",
    ]
).map(str.encode)
value = st.one_of(hostile_text, invalid_utf8, plausible, st.binary(max_size=64))


def _body(fields: dict[str, bytes]) -> bytes:
    return b"&".join(
        quote_from_bytes(name.encode()).encode() + b"=" + quote_from_bytes(data).encode()
        for name, data in fields.items()
    )


# -- the people ------------------------------------------------------------------------------
@pytest.fixture
def people(factory):
    """The actor's school (a student with an employer, officials) and a victim in another school."""
    school = factory.school()
    own_student = factory.student(school=school)
    own_employer = factory.employer(own_student)
    users = {
        "student": factory.user(role=Role.STUDENT, student=own_student),
        "dso": factory.user(role=Role.DSO, school=school),
        "principal_dso": factory.user(role=Role.PRINCIPAL_DSO, school=school),
        "support": factory.user(role=Role.SUPPORT),
        "operator": factory.user(role=Role.OPERATOR),
    }
    victim_school = factory.school()
    victim = factory.student(school=victim_school, sevis_id="N0000099999")
    victim_employer = factory.employer(victim, name="Victim Employer Inc")
    victim_user = factory.user(role=Role.STUDENT, student=victim)
    victim_dso = factory.user(role=Role.DSO, school=victim_school)
    ids = sorted(
        {
            own_student.id,
            own_employer.id,
            users["student"].id,
            victim.id,
            victim_employer.id,
            victim_user.id,
            victim_dso.id,
            0,
            2_147_483_647,
            HUGE_ID,
        }
    )
    return {
        "users": users,
        "victim": victim,
        "victim_user": victim_user,
        "victim_dso": victim_dso,
        "ids": ids,
        "sevis_ids": [own_student.sevis_id, victim.sevis_id, "N0000000000"],
    }


def _snapshot(session, victim: Student, user_ids: list[int]) -> dict:
    """Every row that belongs to the victim or the victim's school's accounts, as plain tuples."""
    program_ids = [record.id for record in victim.program_records]
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        columns = table.c
        if table.name == "students":
            where = columns.id == victim.id
        elif table.name == "users":
            where = columns.id.in_(user_ids)
        elif "student_id" in columns:
            where = columns.student_id == victim.id
        elif "user_id" in columns:
            where = columns.user_id.in_(user_ids)
        elif "program_record_id" in columns:
            where = columns.program_record_id.in_(program_ids)
        else:
            continue
        snapshot[table.name] = sorted(map(tuple, session.execute(select(table).where(where)).all()), key=repr)
    return snapshot


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "rule", "arguments"), ROUTES, ids=[route[1] for route in ROUTES])
def test_hostile_form_posts_never_500_and_never_touch_another_schools_student(
    app, client, db_session, sign_in, people, endpoint, rule, arguments, role
):
    victim = people["victim"]
    watched = [people["victim_user"].id, people["victim_dso"].id]
    before = _snapshot(db_session, victim, watched)
    adapter = app.url_map.bind("localhost")
    parameter = {
        name: (
            st.sampled_from(people["ids"])
            if _is_int(app, endpoint, name)
            else st.one_of(st.sampled_from(people["sevis_ids"] + PATH_WORDS), st.text(min_size=1, max_size=40))
        )
        for name in arguments
    }

    @FUZZ_SETTINGS
    @given(
        path_values=st.fixed_dictionaries(parameter),
        fields=st.dictionaries(st.sampled_from(FIELDS or ["field"]), value, max_size=max(len(FIELDS), 1)),
        htmx=st.booleans(),
    )
    def post(path_values, fields, htmx):
        _post_once(path_values, fields, htmx)

    for hostile in HOSTILE:
        post = example(
            path_values={name: _first(people, app, endpoint, name) for name in arguments},
            fields=dict.fromkeys(FIELDS or ["field"], hostile),
            htmx=hostile == b"",
        )(post)

    def _post_once(path_values, fields, htmx):
        with client.session_transaction() as flask_session:
            flask_session.clear()
        if role != "anonymous":
            sign_in(people["users"][role])
            assert client.sign_in_response.status_code in (302, 303), f"could not sign in as {role}"
        url = adapter.build(endpoint, path_values)
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.post(
            url, data=_body(fields), content_type="application/x-www-form-urlencoded", headers=headers
        )
        assert response.status_code < 500 or response.status_code == 503, (
            f"{role} POST {url} -> {response.status_code} with fields {sorted(fields)}"
        )
        if role not in GLOBAL_ROLES:
            db_session.expire_all()
            assert _snapshot(db_session, victim, watched) == before, (
                f"{role} POST {url} changed data of a student in another school"
            )

    post()


def _first(people, app, endpoint: str, name: str):
    """For the fixed examples: the victim's record, the likeliest way to reach another school's data."""
    if _is_int(app, endpoint, name):
        return people["ids"][1]
    return people["sevis_ids"][1]


def _is_int(app, endpoint: str, name: str) -> bool:
    for rule in app.url_map.iter_rules(endpoint):
        converter = rule._converters.get(name)
        if converter is not None:
            return isinstance(converter, NumberConverter)
    return False


# -- the data feed: hostile JSON with a valid token ---------------------------------------------
FEED_HEADER = json.dumps({"batch_id": "FUZZ1"})
HOSTILE_FEED_LINES = [
    '{"action": "PersonalInfo.Email", "sevis_id": "N0000000001", "data": ["x"]}',
    '{"action": "PersonalInfo.Email", "sevis_id": 12345, "data": {}}',
    '{"action": "PersonalInfo.Email", "sevis_id": "N0000000001", "data": {"email": NaN}}',
    '{"action": "OPTEmployer.Add", "sevis_id": "N0000000001", "data": {"employers": {"a": 1}}}',
    '{"action": "OPTEmployer.Edit", "sevis_id": "N0000000001", "data": {"changes": [1e999]}}',
    '{"action": "CreateStudent", "sevis_id": "N0000000001", "request_id": 99999999999999999999, "data": {"email": 1}}',
    '{"action": "PersonalInfo.Email", "request_id": ' + "9" * 5000 + "}",
    "[" * 100_000,
    '{"a": ' * 50_000 + "1" + "}" * 50_000,
    '{"action": "PersonalInfo.USAddress", "sevis_id": "N0000000001", "data": {"line1": {"x": [[[[[[[[[]]]]]]]]]}}}',
]
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
feed_records = st.fixed_dictionaries(
    {
        "action": st.sampled_from(
            [
                "CreateStudent",
                "OPTEmployment.Add",
                "OPTEmployer.Add",
                "OPTEmployer.Edit",
                "PersonalInfo.Email",
                "PersonalInfo.USAddress",
            ]
        ),
        "sevis_id": json_values,
        "request_id": json_values,
        "data": st.one_of(
            json_values,
            st.dictionaries(
                st.sampled_from(["email", "employers", "changes", "start_date", "line1", "surname"]),
                json_values,
                max_size=4,
            ),
        ),
    }
)


def test_hostile_feed_batches_never_500(app, client, db_session, factory):
    school = factory.school()
    factory.student(school=school, sevis_id="N0000000001")
    _token, raw = create_feed_token(db_session, school, name="fuzz", actor=Actor.system())
    counter = iter(range(1, 1_000_000))

    def post(line: str) -> None:
        body = f'{{"batch_id": "FUZZ{next(counter)}"}}\n{line}'.encode()
        response = client.post("/api/feed/batches", data=body, headers={"Authorization": f"Bearer {raw}"})
        assert response.status_code in (200, 202, 400, 422), f"{response.status_code} for {line[:120]!r}"

    for line in HOSTILE_FEED_LINES:
        post(line)

    @FUZZ_SETTINGS
    @given(record=feed_records)
    def fuzz(record):
        post(json.dumps(record))

    fuzz()
