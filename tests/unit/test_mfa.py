"""Point 7: TOTP with ten single-use recovery codes stored hashed; required for officials, offered to students."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from portal.models import Event, RecoveryCode
from portal.models.enums import Role
from portal.services import mfa
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue


@pytest.mark.parametrize("role, required", [
    (Role.STUDENT, False), (Role.DSO, True), (Role.PRINCIPAL_DSO, True), (Role.SUPPORT, True), (Role.OPERATOR, True),
])  # fmt: skip
def test_mfa_required_for_every_role_but_students(factory, role, required):
    assert mfa.mfa_required(factory.user(role=role)) is required


def _enrolled(factory, db_session, role=Role.DSO):
    user = factory.user(role=role)
    secret = mfa.start_enrolment(db_session, user)
    codes = mfa.confirm_enrolment(db_session, user, pyotp.TOTP(secret).now())
    return user, codes


def test_enrolment_needs_a_current_code_and_gives_ten_hashed_recovery_codes(factory, db_session):
    user = factory.user(role=Role.DSO)
    mfa.start_enrolment(db_session, user)
    with pytest.raises(InvalidValue):
        mfa.confirm_enrolment(db_session, user, "000000" if pyotp.TOTP(user.mfa_secret).now() != "000000" else "111111")
    assert not mfa.mfa_enabled(user)
    codes = mfa.confirm_enrolment(db_session, user, pyotp.TOTP(user.mfa_secret).now())
    assert len(codes) == 10 and len(set(codes)) == 10 and mfa.mfa_enabled(user)
    stored = db_session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert db_session.scalars(select(Event.event_type).where(Event.user_id == user.id)).all() == ["mfa.enrolled"]


def test_recovery_code_works_once(factory, db_session):
    user, codes = _enrolled(factory, db_session)
    assert mfa.verify_second_factor(db_session, user, codes[0].upper())
    assert not mfa.verify_second_factor(db_session, user, codes[0])
    assert mfa.recovery_codes_left(db_session, user) == 9


@pytest.mark.parametrize("code", ["", "123", "abcdef", "x" * 5000, "\x00\x01", "1234567"])
def test_wrong_codes_are_refused(factory, db_session, code):
    user, _ = _enrolled(factory, db_session)
    assert not mfa.verify_second_factor(db_session, user, code)


def test_clear_mfa_removes_secret_and_codes_with_one_event(factory, db_session):
    user, _ = _enrolled(factory, db_session, role=Role.STUDENT)
    mfa.clear_mfa(db_session, user, actor=Actor.system())
    assert user.mfa_secret is None and mfa.recovery_codes_left(db_session, user) == 0
    with pytest.raises(Conflict):
        mfa.clear_mfa(db_session, user, actor=Actor.system())


def test_qr_code_is_svg_without_script_or_inline_style(factory, db_session):
    user = factory.user(role=Role.DSO)
    mfa.start_enrolment(db_session, user)
    svg = mfa.qr_svg(mfa.provisioning_uri(user, "OPT Portal"))
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg


def test_a_totp_code_works_only_once(factory, db_session):
    user, _ = _enrolled(factory, db_session)
    user.mfa_last_step = None
    code = pyotp.TOTP(user.mfa_secret).now()
    assert mfa.verify_second_factor(db_session, user, code)
    assert not mfa.verify_second_factor(db_session, user, code)


def test_enrolment_code_cannot_be_replayed_at_verification(factory, db_session):
    user = factory.user(role=Role.DSO)
    secret = mfa.start_enrolment(db_session, user)
    code = pyotp.TOTP(secret).now()
    mfa.confirm_enrolment(db_session, user, code)
    assert not mfa.verify_second_factor(db_session, user, code)
