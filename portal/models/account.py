"""Portal accounts: users of every role, their one-time links, sessions, password history and MFA codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, enum_column, utcnow
from portal.models.enums import OFFICIAL_ROLES, DigestCadence, LinkPurpose, Role

ACTIVE_PRINCIPAL = "role = 'principal_dso' AND deactivated_at IS NULL"


class User(Base):
    """One person's account. Students link to their Student record, officials to their school."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("(role = 'student') = (student_id IS NOT NULL)", name="student_link_matches_role"),
        CheckConstraint("role NOT IN ('dso', 'principal_dso') OR school_id IS NOT NULL", name="official_has_school"),
        CheckConstraint("failed_sign_ins >= 0 AND lock_count >= 0", name="counters_not_negative"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        Index("ix_users_locked_until", "locked_until"),  # the students list's "Locked portal accounts" alert
        # Exactly one principal DSO per school, and as many DSOs as it needs (8 CFR 214.3(l)(1); migration 0013).
        Index(
            "uq_users_one_principal_per_school",
            "school_id",
            unique=True,
            postgresql_where=text(ACTIVE_PRINCIPAL),
            sqlite_where=text(ACTIVE_PRINCIPAL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")

    # Throttling: consecutive failures, when the current cool-down ends, how many cool-downs so far.
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    lock_count: Mapped[int] = mapped_column(default=0)

    password_changed_at: Mapped[datetime | None]
    # The TOTP secret as a Fernet token bound to this row, never the secret itself (portal.services.mfa.secret_of).
    mfa_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    mfa_enabled_at: Mapped[datetime | None]
    # The TOTP time step last accepted, so one code cannot be used twice (ASVS 2.8.4).
    mfa_last_step: Mapped[int | None]
    attested_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]
    # Officials only: the email digest of what students changed since their last change-list download (migration 0017).
    digest_cadence: Mapped[DigestCadence] = mapped_column(
        enum_column(DigestCadence, "digest_cadence"), default=DigestCadence.OFF, server_default="off"
    )

    school = relationship("School")
    student = relationship("Student", back_populates="user")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_official(self) -> bool:
        return self.role in OFFICIAL_ROLES

    @property
    def has_finished_account_creation(self) -> bool:
        return self.password_hash is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class AccountLink(Base):
    """A single-use emailed link (account creation or password reset). Only a hash of the token is kept."""

    __tablename__ = "account_links"
    __table_args__ = (
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
        CheckConstraint("failed_confirmations >= 0", name="failures_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(enum_column(LinkPurpose, "link_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Random, not secret on its own: the token is HMAC(SECRET_KEY, id:salt), recomputed at delivery.
    salt: Mapped[str] = mapped_column(String(32), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    failed_confirmations: Mapped[int] = mapped_column(default=0)

    user = relationship("User")


class UserSession(Base):
    """A server-side sign-in session; the cookie carries only its random id, and we store the id's hash."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_open", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(64))
    mfa_verified: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user = relationship("User")


class PasswordHistory(Base):
    """Earlier password hashes, so a new password cannot equal the one before the current (rule 18)."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(Base):
    """One of ten single-use MFA recovery codes, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordResetRequest(Base):
    """An address typed on the reset page, waiting for the worker to answer it (portal/services/reset_requests.py).

    Answered rows are kept only while they hold back a repeat email to the same address (a minute).
    """

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]


class SignInThrottle(Base):
    """Failed sign-ins counted per typed address and per client, whether or not an account exists (migration 0018).

    ``key`` is an HMAC of "address:<address>" or "client:<IP>" under the app's secret, so the table holds neither.
    """

    __tablename__ = "sign_in_throttles"
    __table_args__ = (CheckConstraint("failures >= 0 AND lock_count >= 0", name="throttle_counters_not_negative"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    lock_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_failure_at: Mapped[datetime]
