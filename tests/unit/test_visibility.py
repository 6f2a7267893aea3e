"""Who may see a student: a student only themselves, an official only their school's students, support every one."""

import pytest

from portal.models.enums import OptStatus, Role
from portal.services.access import require_actor_may_change
from portal.services.actors import Actor
from portal.services.errors import NotAllowed, NotFound
from portal.services.opt_decisions import deny_opt
from portal.services.visibility import may_see, visible_student


@pytest.fixture
def two_schools(factory):
    here, there = factory.school(), factory.school()
    return {"here": factory.student(school=here), "there": factory.student(school=there), "school": here}


def _actor(factory, who: str, two_schools) -> Actor:
    if who == "student":
        return Actor.for_user(factory.user(role=Role.STUDENT, student=two_schools["here"]))
    if who == "support with a school":
        return Actor.for_user(factory.user(role=Role.SUPPORT, school=two_schools["school"]))
    if who == "system":
        return Actor.system()
    if who == "data feed":
        return Actor.data_feed(two_schools["school"].id)
    role = {"dso": Role.DSO, "principal": Role.PRINCIPAL_DSO, "support": Role.SUPPORT}[who]
    return Actor.for_user(factory.user(role=role, school=two_schools["school"] if role is not Role.SUPPORT else None))


# who -> (may see the student at their school / themselves, may see the other school's student)
CASES = [
    ("student", True, False),
    ("dso", True, False),
    ("principal", True, False),
    ("data feed", True, False),
    ("support", True, True),
    ("support with a school", True, True),
    ("system", True, True),
]


@pytest.mark.parametrize(("who", "here", "there"), CASES)
def test_who_may_see_a_student(factory, two_schools, who, here, there):
    actor = _actor(factory, who, two_schools)
    assert may_see(actor, two_schools["here"]) is here
    assert may_see(actor, two_schools["there"]) is there


@pytest.mark.parametrize(("who", "here", "there"), CASES)
def test_the_database_read_answers_as_the_rule_does(factory, db_session, two_schools, who, here, there):
    actor = _actor(factory, who, two_schools)
    for key, expected in (("here", here), ("there", there)):
        student = two_schools[key]
        if expected:
            assert visible_student(db_session, actor, student.sevis_id.lower()) is student
        else:
            with pytest.raises(NotFound, match="no student with that SEVIS ID at your school"):
                visible_student(db_session, actor, student.sevis_id)


@pytest.mark.parametrize("sevis_id", ["", None, "N123", "X0000000001", "N00000000001", "N0000000001' OR 1=1"])
def test_a_malformed_sevis_id_is_not_found(db_session, sevis_id):
    with pytest.raises(NotFound):
        visible_student(db_session, Actor.system(), sevis_id)


def test_a_student_acting_for_another_student_is_refused_a_change(factory, db_session, two_schools):
    actor = _actor(factory, "student", two_schools)
    with pytest.raises(NotAllowed, match="only your own employers"):
        require_actor_may_change(db_session, two_schools["there"], actor, what="employers")


def test_an_official_of_another_school_recording_a_decision_gets_not_found(factory, db_session, two_schools):
    other = Actor.for_user(factory.user(role=Role.DSO))
    student = factory.student(school=two_schools["school"], opt="pending")
    with pytest.raises(NotFound):
        deny_opt(db_session, student.program_records[-1].opt_authorizations[0], actor=other)
    assert student.program_records[-1].opt_authorizations[0].status is OptStatus.PENDING
