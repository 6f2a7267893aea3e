"""School officials: exactly one principal DSO per school, who appoints and removes as many DSOs as the school needs
and can hand the principal role over to one of them (8 CFR 214.3(l)(1); the 2015 rule removed the ten-DSO cap).

A new official is invited by email: a single-use link, valid 14 days, to set a password of their own (no SEVIS ID:
officials have none); their first sign-in then enrols them in two-step verification, which officials must use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.mail.outbox import queue_email
from portal.models import AccountLink, School, User, utcnow
from portal.models.enums import LinkPurpose, Role
from portal.services.account_links import LINK_LIFETIME, issue_link, void_open_links
from portal.services.actors import Actor
from portal.services.clock import eastern_date, long_date
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.sessions import end_all_sessions
from portal.services.students import normalize_email


def _check_principal(actor: Actor, school: School) -> None:
    if actor.role is not Role.PRINCIPAL_DSO:
        raise NotAllowed("Only the principal DSO appoints and removes officials.")
    if actor.school_id != school.id:
        raise NotFound("No such school official.")


def active_officials(session: Session, school_id: int) -> list[User]:
    """The school's current officials, principal first, then by name."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.school_id == school_id,
                User.role.in_((Role.PRINCIPAL_DSO, Role.DSO)),
                User.deactivated_at.is_(None),
            )
            .order_by(User.role.desc(), User.display_name, User.email)
        )
    )


def _name(user: User) -> str:
    return user.display_name or user.email


def principal_of(session: Session, school_id: int) -> User | None:
    """The school's active principal DSO, if it has one."""
    return session.scalar(
        select(User).where(User.school_id == school_id, User.role == Role.PRINCIPAL_DSO, User.deactivated_at.is_(None))
    )


def check_principal_vacancy(session: Session, school: School) -> None:
    """Refuse a second principal DSO: a school has exactly one; the role passes by hand-over, never by adding one."""
    principal = principal_of(session, school.id)
    if principal is not None:
        raise Conflict(
            f"{school.name} already has a principal DSO, {_name(principal)} ({principal.email}). A school "
            "has exactly one: add the person as a DSO, and the principal hands the role over to them on "
            "the Officials page."
        )


INVITATION_TEMPLATE = "official_invitation"


def _send_invitation(session: Session, official: User, *, invited_by: str, now: datetime) -> AccountLink:
    """A new 14-day single-use link for ``official`` and the invitation email that carries it."""
    link = issue_link(session, official, LinkPurpose.ACCOUNT_CREATION, now=now)
    school = official.school
    queue_email(
        session,
        template=INVITATION_TEMPLATE,
        to=official.email,
        user=official,
        school_id=school.id,
        context={
            "official_name": _name(official),
            "invited_by": invited_by,
            "school_name": school.name,
            "days_valid": LINK_LIFETIME[LinkPurpose.ACCOUNT_CREATION].days,
            "valid_until": long_date(eastern_date(link.expires_at)),
        },
        link_ref=f"account_link:{link.id}",
    )
    return link


def appoint_official(session: Session, school: School, *, actor: Actor, email: str, display_name: str) -> User:
    """Give a person their own DSO account (as many as the school needs) and email them an invitation to set a
    password; refuses an email already in use (a revoked invitation's address may be invited again)."""
    _check_principal(actor, school)
    email = normalize_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 200 or any(ord(ch) < 32 for ch in display_name):
        raise InvalidValue("Enter the official's full name (at most 200 characters).", field="display_name")
    official = session.scalar(select(User).where(User.email == email))
    revoked = (
        official is not None
        and official.school_id == school.id
        and official.role is Role.DSO
        and official.deactivated_at is not None
        and not official.has_finished_account_creation
    )
    if official is not None and not revoked:
        raise Conflict(
            "That email address already has an account. Each official needs an account of their own.", field="email"
        )
    if revoked:
        official.deactivated_at = None
        official.display_name = display_name
    else:
        official = User(email=email, role=Role.DSO, school_id=school.id, display_name=display_name)
        session.add(official)
    session.flush()
    link = _send_invitation(session, official, invited_by=actor.label, now=utcnow())
    record_event(
        session,
        actor,
        "official.appointed",
        user=official,
        school_id=school.id,
        subject=f"user:{official.id}",
        after={"email": email, "display_name": display_name, "role": Role.DSO, "link_expires_at": link.expires_at},
    )
    return official


def _pending_official(official: User, actor: Actor) -> School:
    """The school of an official whose invitation the principal may resend or revoke; refuses anyone else."""
    school = official.school
    if school is None or official.role not in (Role.DSO, Role.PRINCIPAL_DSO):
        raise NotFound("No such school official.")
    _check_principal(actor, school)
    if official.has_finished_account_creation:
        raise Conflict(
            f"{_name(official)} already set a password, so there is no invitation to change. If they "
            'forgot it, they can use "Forgot your password" on the sign-in page.'
        )
    return school


def resend_invitation(session: Session, official: User, *, actor: Actor) -> AccountLink:
    """The principal emails a new invitation (valid 14 days) and the old link stops working; refuses an official who
    already set a password, and one whose invitation was revoked (appoint them again instead)."""
    _pending_official(official, actor)
    if official.deactivated_at is not None:
        raise Conflict(f"The invitation of {_name(official)} was revoked. To invite them again, appoint them again.")
    return reissue_invitation(session, official, actor=actor, now=utcnow())


def reissue_invitation(
    session: Session, official: User, *, actor: Actor, now: datetime, requested_from: str | None = None
) -> AccountLink:
    """Void the official's open links and email a new invitation (a resend, or a password-reset request from an
    official who never set a password); one event."""
    void_open_links(session, official, now=now)
    link = _send_invitation(
        session, official, invited_by=actor.label if requested_from is None else "Your school", now=now
    )
    after = {"link_expires_at": link.expires_at}
    if requested_from:
        after["requested_from"] = requested_from
    record_event(
        session,
        actor,
        "official.invitation_resent",
        user=official,
        school_id=official.school_id,
        subject=f"user:{official.id}",
        after=after,
    )
    session.flush()
    return link


def revoke_invitation(session: Session, official: User, *, actor: Actor) -> User:
    """The principal withdraws an invitation nobody has accepted: the link then says it was revoked and the person
    is no longer an official; refuses one already accepted (remove them instead) or already revoked."""
    _pending_official(official, actor)
    if official.deactivated_at is not None:
        raise Conflict(f"The invitation of {_name(official)} was already revoked.")
    now = utcnow()
    voided = void_open_links(session, official, now=now)
    official.deactivated_at = now
    record_event(
        session,
        actor,
        "official.invitation_revoked",
        user=official,
        school_id=official.school_id,
        subject=f"user:{official.id}",
        before={"email": official.email, "role": official.role},
        after={"links_voided": voided},
    )
    session.flush()
    return official


@dataclass(frozen=True)
class Invitation:
    """Where an official's invitation stands, for the Officials page."""

    valid_until: datetime | None  # None: no usable link (expired or used up)

    @property
    def expired(self) -> bool:
        return self.valid_until is None


def open_invitations(session: Session, school_id: int, *, now: datetime | None = None) -> dict[int, Invitation]:
    """The invitation of each active official of the school who has not set a password yet, by user id."""
    now = now or utcnow()
    rows = session.execute(
        select(User.id, AccountLink.expires_at, AccountLink.used_at, AccountLink.voided_at)
        .outerjoin(
            AccountLink, (AccountLink.user_id == User.id) & (AccountLink.purpose == LinkPurpose.ACCOUNT_CREATION)
        )
        .where(
            User.school_id == school_id,
            User.role.in_((Role.DSO, Role.PRINCIPAL_DSO)),
            User.deactivated_at.is_(None),
            User.password_hash.is_(None),
        )
        .order_by(User.id, AccountLink.id)
    ).all()
    invitations: dict[int, Invitation] = {}
    for user_id, expires_at, used_at, voided_at in rows:
        usable = expires_at is not None and used_at is None and voided_at is None and expires_at > now
        if usable or user_id not in invitations:
            invitations[user_id] = Invitation(valid_until=expires_at if usable else None)
    return invitations


def remove_official(session: Session, official: User, *, actor: Actor) -> User:
    """Remove a DSO (their account stops working); refuses the principal, oneself and a repeat."""
    school = official.school
    if school is None or official.role not in (Role.DSO, Role.PRINCIPAL_DSO):
        raise NotFound("No such school official.")
    _check_principal(actor, school)
    if official.id == actor.user_id or official.role is Role.PRINCIPAL_DSO:
        raise RuleBroken(
            "The principal DSO cannot be removed. Hand the principal role over to another official "
            "first; then they can remove you."
        )
    if official.deactivated_at is not None:
        raise Conflict(f"{official.display_name or official.email} was already removed.")
    official.deactivated_at = utcnow()
    void_open_links(session, official, now=official.deactivated_at)
    end_all_sessions(session, official, actor=actor, reason="official_removed")
    record_event(
        session,
        actor,
        "official.removed",
        user=official,
        school_id=school.id,
        subject=f"user:{official.id}",
        before={"email": official.email, "role": official.role},
        after={"removed": True},
    )
    session.flush()
    return official


def hand_over_principal(session: Session, successor: User, *, actor: Actor) -> User:
    """The principal DSO makes another active official of the school the principal and becomes a DSO, in one step.

    Refuses anyone but the school's principal, oneself, a removed official and another school's (404). Both changes
    are events; the school has exactly one principal before and after (the database's unique index agrees).
    """
    school = successor.school
    if school is None or successor.role not in (Role.DSO, Role.PRINCIPAL_DSO):
        raise NotFound("No such school official.")
    _check_principal(actor, school)
    # Row lock on PostgreSQL: a second hand-over by the same principal waits, then finds them no longer principal.
    role, deactivated_at = session.execute(
        select(User.role, User.deactivated_at).where(User.id == actor.user_id).with_for_update()
    ).one()
    if role is not Role.PRINCIPAL_DSO or deactivated_at is not None:
        raise Conflict("You are no longer the principal DSO; the role was already handed over.")
    current = session.get(User, actor.user_id)
    if successor.id == current.id:
        raise RuleBroken("You are already the principal DSO. Choose another official to hand the role over to.")
    if successor.deactivated_at is not None:
        raise Conflict(f"{_name(successor)} was removed; only a current official can become principal DSO.")
    # The old principal steps down first, in its own statement: the one-principal index is checked per statement.
    current.role = Role.DSO
    session.flush()
    successor.role = Role.PRINCIPAL_DSO
    session.flush()
    record_event(
        session,
        actor,
        "official.role_changed",
        user=current,
        school_id=school.id,
        subject=f"user:{current.id}",
        before={"email": current.email, "role": Role.PRINCIPAL_DSO},
        after={"role": Role.DSO, "reason": f"Handed the principal role over to {_name(successor)}."},
    )
    record_event(
        session,
        actor,
        "official.role_changed",
        user=successor,
        school_id=school.id,
        subject=f"user:{successor.id}",
        before={"email": successor.email, "role": Role.DSO},
        after={"role": Role.PRINCIPAL_DSO, "reason": f"{_name(current)} handed the principal role over."},
    )
    return successor
