"""Who is acting: each role acts as its kind, named in words, and the kind alone answers "is this the student?"."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from portal.models.enums import ActorKind, Role
from portal.services.actors import Actor


def _user(role, *, display_name="Linh Tran", email="linh@example.edu", school_id=None, student_id=None):
    return SimpleNamespace(
        id=7, role=role, display_name=display_name, email=email, school_id=school_id, student_id=student_id
    )


@pytest.mark.parametrize(
    ("role", "kind", "student", "official", "support"),
    [
        (Role.STUDENT, ActorKind.STUDENT, True, False, False),
        (Role.DSO, ActorKind.SCHOOL_OFFICIAL, False, True, False),
        (Role.PRINCIPAL_DSO, ActorKind.SCHOOL_OFFICIAL, False, True, False),
        (Role.SUPPORT, ActorKind.SUPPORT, False, False, True),
        (Role.OPERATOR, ActorKind.SYSTEM, False, False, False),
    ],
)
def test_each_role_acts_as_its_kind(role, kind, student, official, support):
    actor = Actor.for_user(_user(role, school_id=3, student_id=5))
    assert actor.kind is kind
    assert (actor.is_student, actor.is_school_official, actor.is_support) == (student, official, support)
    assert (actor.user_id, actor.role, actor.school_id, actor.student_id) == (7, role, 3, 5)


@pytest.mark.parametrize(
    ("display_name", "label"), [("Linh Tran", "Linh Tran"), (None, "linh@example.edu"), ("", "linh@example.edu")]
)
def test_an_actor_is_named_by_display_name_or_else_by_email(display_name, label):
    assert Actor.for_user(_user(Role.STUDENT, display_name=display_name)).label == label


def test_the_portal_itself_and_the_data_feed_act_without_a_user():
    system = Actor.system()
    assert (system.kind, system.label, system.user_id, system.school_id) == (ActorKind.SYSTEM, "OPT Portal", None, None)
    assert Actor.system("Daily sweep").label == "Daily sweep"
    feed = Actor.data_feed(4)
    assert (feed.kind, feed.label, feed.user_id, feed.school_id) == (ActorKind.DATA_FEED, "SEVIS data feed", None, 4)
    assert not (feed.is_student or feed.is_school_official or feed.is_support)


def test_an_actor_cannot_be_changed_once_made():
    actor = Actor.for_user(_user(Role.STUDENT))
    with pytest.raises(dataclasses.FrozenInstanceError):
        actor.kind = ActorKind.SCHOOL_OFFICIAL
