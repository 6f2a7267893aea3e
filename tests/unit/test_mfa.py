"""Point 7: TOTP with ten single-use recovery codes stored hashed; required for officials, offered to students."""

from __future__ import annotations

from types import SimpleNamespace

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from portal import create_app
from portal.config import TestConfig
from portal.encryption import derived_key
from portal.models import Event, OutboxEmail, RecoveryCode
from portal.models.enums import Role
from portal.services import mfa
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, SecretUnreadable
from portal.services.sessions import start_session
from tests.support.factories import PASSWORD


@pytest.mark.parametrize(
    "role, required",
    [
        (Role.STUDENT, False),
        (Role.DSO, True),
        (Role.PRINCIPAL_DSO, True),
        (Role.SUPPORT, True),
        (Role.OPERATOR, True),
    ],
)
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
        mfa.confirm_enrolment(
            db_session, user, "000000" if pyotp.TOTP(mfa.secret_of(user)).now() != "000000" else "111111"
        )
    assert not mfa.mfa_enabled(user)
    codes = mfa.confirm_enrolment(db_session, user, pyotp.TOTP(mfa.secret_of(user)).now())
    assert len(codes) == 10 and len(set(codes)) == 10 and mfa.mfa_enabled(user)
    stored = db_session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert db_session.scalars(select(Event.event_type).where(Event.user_id == user.id).order_by(Event.id)).all() == [
        "mfa.enrolled"
    ]


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
    assert user.mfa_secret_encrypted is None and mfa.recovery_codes_left(db_session, user) == 0
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
    code = pyotp.TOTP(mfa.secret_of(user)).now()
    assert mfa.verify_second_factor(db_session, user, code)
    assert not mfa.verify_second_factor(db_session, user, code)


def test_enrolment_code_cannot_be_replayed_at_verification(factory, db_session):
    user = factory.user(role=Role.DSO)
    secret = mfa.start_enrolment(db_session, user)
    code = pyotp.TOTP(secret).now()
    mfa.confirm_enrolment(db_session, user, code)
    assert not mfa.verify_second_factor(db_session, user, code)


# ---------------------------------------------------------------- the secret at rest (portal/encryption.py)

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _stored(db_session, user) -> str:
    return db_session.execute(
        text("SELECT mfa_secret_encrypted FROM users WHERE id = :id"), {"id": user.id}
    ).scalar_one()


def test_the_stored_value_is_an_encrypted_token_not_the_secret(factory, db_session):
    user, _ = _enrolled(factory, db_session)
    secret = mfa.secret_of(user)
    stored = _stored(db_session, user)
    assert len(secret) == 32 and secret not in stored and stored.startswith("gAAAA")  # a Fernet token
    assert Fernet(derived_key("test-secret-key-not-for-production")).decrypt(stored.encode()).decode().endswith(secret)


def test_a_token_copied_onto_another_user_does_not_open(factory, db_session):
    user, _ = _enrolled(factory, db_session)
    other, _ = _enrolled(factory, db_session)
    other.mfa_secret_encrypted = user.mfa_secret_encrypted
    with pytest.raises(SecretUnreadable):
        mfa.secret_of(other)
    with pytest.raises(SecretUnreadable):
        mfa.verify_second_factor(db_session, other, pyotp.TOTP(mfa.secret_of(user)).now())


def test_a_wrong_key_fails_closed_but_recovery_codes_still_work(app, factory, db_session, monkeypatch):
    user, codes = _enrolled(factory, db_session)
    user.mfa_last_step = None
    code = pyotp.TOTP(mfa.secret_of(user)).now()
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", KEY_A)  # the derived key is still read...
    assert mfa.verify_second_factor(db_session, user, code)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another secret key")  # ...but now no configured key opens it
    with pytest.raises(SecretUnreadable, match="recovery codes"):
        mfa.verify_second_factor(db_session, user, code)
    assert mfa.verify_second_factor(db_session, user, codes[0])


def test_rotation_reads_with_old_keys_and_reseals_under_the_new_one(app, factory, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", KEY_A)
    user, _ = _enrolled(factory, db_session)
    secret = mfa.secret_of(user)
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", KEY_B)
    with pytest.raises(SecretUnreadable):
        mfa.secret_of(user)
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_OLD_KEYS", f"{Fernet.generate_key().decode()}, {KEY_A}")
    assert mfa.secret_of(user) == secret
    report = mfa.reseal_secrets(db_session)
    assert report.resealed >= 1 and report.unreadable == []
    db_session.refresh(user)
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_OLD_KEYS", "")
    assert mfa.secret_of(user) == secret  # KEY_B alone opens it now
    again = mfa.reseal_secrets(db_session)
    assert again.resealed == 0 and again.already_current == report.resealed + report.already_current


def test_rotation_lists_secrets_no_key_opens_and_leaves_them(app, factory, db_session, monkeypatch):
    user, _ = _enrolled(factory, db_session)
    before = user.mfa_secret_encrypted
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", KEY_B)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another secret key")
    report = mfa.reseal_secrets(db_session)
    assert user.id in report.unreadable and _stored(db_session, user) == before


def test_secrets_rotate_command_reports_and_fails_on_unreadable_secrets(app, factory, db_session, monkeypatch):
    _enrolled(factory, db_session)
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", KEY_B)
    result = app.test_cli_runner().invoke(args=["secrets", "rotate"])
    assert result.exit_code == 0, result.output
    assert "re-encrypted under DATA_ENCRYPTION_KEY" in result.output
    monkeypatch.setitem(app.config, "DATA_ENCRYPTION_KEY", KEY_A)
    failed = app.test_cli_runner().invoke(args=["secrets", "rotate"])
    assert failed.exit_code == 1 and "could not be opened with any configured key" in failed.output


def test_new_key_command_prints_a_usable_key(app):
    key = app.test_cli_runner().invoke(args=["secrets", "new-key"]).output.strip()
    assert Fernet(key.encode())


@pytest.mark.parametrize("setting", ["DATA_ENCRYPTION_KEY", "DATA_ENCRYPTION_OLD_KEYS"])
def test_a_malformed_key_stops_the_app_at_start_with_a_clear_message(setting):
    class BadKey(TestConfig):
        pass

    setattr(BadKey, setting, "not-a-key")
    with pytest.raises(ValueError, match="not a valid key.*portal secrets new-key"):
        create_app(BadKey)


# ---------------------------------------------------------------- a student turning it off


def test_a_student_turns_mfa_off_with_password_and_a_code(factory, db_session):
    user, _ = _enrolled(factory, db_session, role=Role.STUDENT)
    user.mfa_last_step = None
    this, _ = start_session(db_session, user)
    other, _ = start_session(db_session, user)
    mfa.turn_off_mfa(db_session, user, password=PASSWORD, code=pyotp.TOTP(mfa.secret_of(user)).now(), keep=this)
    assert (
        not mfa.mfa_enabled(user)
        and user.mfa_secret_encrypted is None
        and mfa.recovery_codes_left(db_session, user) == 0
    )
    assert this.ended_at is None and other.ended_at is not None and other.ended_reason == "mfa_turned_off"
    events = db_session.scalars(select(Event.event_type).where(Event.user_id == user.id).order_by(Event.id)).all()
    assert events[-2:] == ["mfa.turned_off", "sessions.ended"] and "mfa.cleared" not in events
    notice = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    ).all()[-1]
    assert (
        notice.template == "mfa_turned_off"
        and notice.to_address == user.email
        and "/password/reset" in notice.body_text
    )


def test_a_recovery_code_also_turns_it_off(factory, db_session):
    user, codes = _enrolled(factory, db_session, role=Role.STUDENT)
    mfa.turn_off_mfa(db_session, user, password=PASSWORD, code=codes[4])
    assert not mfa.mfa_enabled(user)


@pytest.mark.parametrize(
    "password, code_kind, field",
    [
        ("not my password at all", "current", "current_password"),
        (PASSWORD, "wrong", "code"),
        (PASSWORD, "replayed", "code"),
    ],
)
def test_turning_it_off_needs_the_right_password_and_a_fresh_code(factory, db_session, password, code_kind, field):
    user, _ = _enrolled(factory, db_session, role=Role.STUDENT)
    current = pyotp.TOTP(mfa.secret_of(user)).now()
    if code_kind == "current":
        user.mfa_last_step = None
    code = {"current": current, "replayed": current, "wrong": "000000" if current != "000000" else "111111"}[code_kind]
    with pytest.raises(InvalidValue) as refused:
        mfa.turn_off_mfa(db_session, user, password=password, code=code)
    assert refused.value.field == field and mfa.mfa_enabled(user)


@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO, Role.SUPPORT, Role.OPERATOR])
def test_officials_cannot_turn_off_required_mfa(factory, db_session, role):
    user, codes = _enrolled(factory, db_session, role=role)
    with pytest.raises(NotAllowed, match="cannot be turned off"):
        mfa.turn_off_mfa(db_session, user, password=PASSWORD, code=codes[0])
    assert mfa.mfa_enabled(user) and mfa.recovery_codes_left(db_session, user) == 10


def test_turning_off_what_is_off_is_refused(factory, db_session):
    with pytest.raises(Conflict, match="already off"):
        mfa.turn_off_mfa(db_session, factory.user(role=Role.STUDENT), password=PASSWORD, code="123456")


# ---------------------------------------------------------------- a DSO turning it off for a student


def _student_with_mfa(factory, db_session):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    secret = mfa.start_enrolment(db_session, user)
    mfa.confirm_enrolment(db_session, user, pyotp.TOTP(secret).now())
    return student, user


def test_a_dso_turns_off_a_students_mfa_ends_every_session_with_an_event_and_a_notice(factory, db_session):
    student, user = _student_with_mfa(factory, db_session)
    phone, _ = start_session(db_session, user)
    laptop, _ = start_session(db_session, user)
    dso = factory.user(role=Role.DSO, school=student.school)
    mfa.turn_off_mfa_for_student(db_session, student, actor=Actor.for_user(dso))
    assert (
        not mfa.mfa_enabled(user)
        and user.mfa_secret_encrypted is None
        and mfa.recovery_codes_left(db_session, user) == 0
    )
    assert phone.ended_at is not None and laptop.ended_at is not None and phone.ended_reason == "mfa_cleared"
    cleared = db_session.scalars(select(Event).where(Event.user_id == user.id, Event.event_type == "mfa.cleared")).one()
    assert cleared.actor_user_id == dso.id and cleared.student_id == student.id
    notice = db_session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == user.id).order_by(OutboxEmail.id)
    ).all()[-1]
    assert notice.template == "mfa_turned_off_by_school" and notice.to_address == user.email
    assert "Your school's DSO turned off" in notice.body_text and "/password/reset" in notice.body_text


@pytest.mark.parametrize("role", [Role.DSO, Role.PRINCIPAL_DSO])
def test_an_official_of_another_school_cannot_turn_off_a_students_mfa(factory, db_session, role):
    student, user = _student_with_mfa(factory, db_session)
    stranger = factory.user(role=role, school=factory.school())
    with pytest.raises(NotFound):
        mfa.turn_off_mfa_for_student(db_session, student, actor=Actor.for_user(stranger))
    assert mfa.mfa_enabled(user) and mfa.recovery_codes_left(db_session, user) == 10


@pytest.mark.parametrize("role", [Role.STUDENT, Role.SUPPORT, Role.OPERATOR])
def test_only_school_officials_turn_off_a_students_mfa(factory, db_session, role):
    student, user = _student_with_mfa(factory, db_session)
    actor = Actor.for_user(user) if role is Role.STUDENT else Actor.for_user(factory.user(role=role))
    with pytest.raises(NotAllowed):
        mfa.turn_off_mfa_for_student(db_session, student, actor=actor)
    assert mfa.mfa_enabled(user)


def test_a_dso_turning_off_what_is_off_is_refused_without_an_event_or_email(factory, db_session):
    student = factory.student()
    user = factory.user(role=Role.STUDENT, student=student)
    dso = Actor.for_user(factory.user(role=Role.DSO, school=student.school))
    with pytest.raises(Conflict, match="already off"):
        mfa.turn_off_mfa_for_student(db_session, student, actor=dso)
    assert db_session.scalars(select(Event.event_type).where(Event.user_id == user.id)).all() == []
    assert db_session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == user.id)).all() == []


def test_a_dso_cannot_turn_off_mfa_of_a_student_without_an_account(factory, db_session):
    student = factory.student()
    with pytest.raises(Conflict, match="no portal account"):
        mfa.turn_off_mfa_for_student(
            db_session, student, actor=Actor.for_user(factory.user(role=Role.DSO, school=student.school))
        )


def test_an_officials_own_mfa_is_never_cleared_this_way(factory, db_session):
    """The database ties only student accounts to students; the service refuses even if handed an official's."""
    official, _ = _enrolled(factory, db_session, role=Role.DSO)
    colleague = factory.user(role=Role.DSO, school=official.school)
    posing = SimpleNamespace(school_id=official.school_id, user=official, full_name="Not a student")
    with pytest.raises(NotAllowed, match="support handles staff"):
        mfa.turn_off_mfa_for_student(db_session, posing, actor=Actor.for_user(colleague))
    assert mfa.mfa_enabled(official) and mfa.recovery_codes_left(db_session, official) == 10
