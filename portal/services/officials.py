"""School officials: exactly one principal DSO per school, who appoints and removes as many DSOs as the school needs
and can hand the principal role over to one of them (8 CFR 214.3(l)(1); the 2015 rule removed the ten-DSO cap)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import School, User, utcnow
from portal.models.enums import Role
from portal.notifications.outbox import queue_email
from portal.services.actors import Actor
from portal.services.errors import Conflict, InvalidValue, NotAllowed, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.students import normalize_email


def _check_principal(actor: Actor, school: School) -> None:
    if actor.role is not Role.PRINCIPAL_DSO:
        raise NotAllowed("Only the principal DSO appoints and removes officials.")
    if actor.school_id != school.id:
        raise NotFound("No such school official.")


def active_officials(session: Session, school_id: int) -> list[User]:
    """The school's current officials, principal first, then by name."""
    return list(session.scalars(
        select(User).where(User.school_id == school_id, User.role.in_((Role.PRINCIPAL_DSO, Role.DSO)),
                           User.deactivated_at.is_(None))
        .order_by(User.role.desc(), User.display_name, User.email)))  # fmt: skip


def _name(user: User) -> str:
    return user.display_name or user.email


def principal_of(session: Session, school_id: int) -> User | None:
    """The school's active principal DSO, if it has one."""
    return session.scalar(select(User).where(User.school_id == school_id, User.role == Role.PRINCIPAL_DSO,
                                             User.deactivated_at.is_(None)))  # fmt: skip


def check_principal_vacancy(session: Session, school: School) -> None:
    """Refuse a second principal DSO: a school has exactly one; the role passes by hand-over, never by adding one."""
    principal = principal_of(session, school.id)
    if principal is not None:
        raise Conflict(f"{school.name} already has a principal DSO, {_name(principal)} ({principal.email}). A school "
                       "has exactly one: add the person as a DSO, and the principal hands the role over to them on "
                       "the Officials page.")  # fmt: skip


def appoint_official(session: Session, school: School, *, actor: Actor, email: str, display_name: str) -> User:
    """Give a person their own DSO account (as many as the school needs); refuses an email already in use."""
    _check_principal(actor, school)
    email = normalize_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 200 or any(ord(ch) < 32 for ch in display_name):
        raise InvalidValue("Enter the official's full name (at most 200 characters).", field="display_name")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("That email address already has an account. Each official needs an account of their own.",
                       )  # fmt: skip
    official = User(email=email, role=Role.DSO, school_id=school.id, display_name=display_name)
    session.add(official)
    session.flush()
    record_event(session, actor, "official.appointed", user=official, school_id=school.id, subject=f"user:{official.id}",
                 after={"email": email, "display_name": display_name, "role": Role.DSO})  # fmt: skip
    queue_email(session, template="official_appointed", to=email, user=official, school_id=school.id,
                context={"official_name": display_name, "appointed_by": actor.label, "school_name": school.name})  # fmt: skip
    return official


def remove_official(session: Session, official: User, *, actor: Actor) -> User:
    """Remove a DSO (their account stops working); refuses the principal, oneself and a repeat."""
    school = official.school
    if school is None or official.role not in (Role.DSO, Role.PRINCIPAL_DSO):
        raise NotFound("No such school official.")
    _check_principal(actor, school)
    if official.id == actor.user_id or official.role is Role.PRINCIPAL_DSO:
        raise RuleBroken("The principal DSO cannot be removed. Hand the principal role over to another official "
                         "first; then they can remove you.")  # fmt: skip
    if official.deactivated_at is not None:
        raise Conflict(f"{official.display_name or official.email} was already removed.")
    official.deactivated_at = utcnow()
    from portal.services.accounts import end_all_sessions

    end_all_sessions(session, official, actor=actor, reason="official_removed")
    record_event(session, actor, "official.removed", user=official, school_id=school.id, subject=f"user:{official.id}",
                 before={"email": official.email, "role": official.role}, after={"removed": True})  # fmt: skip
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
    role, deactivated_at = session.execute(select(User.role, User.deactivated_at).where(User.id == actor.user_id)
                                           .with_for_update()).one()  # fmt: skip
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
    record_event(session, actor, "official.role_changed", user=current, school_id=school.id,
                 subject=f"user:{current.id}", before={"email": current.email, "role": Role.PRINCIPAL_DSO},
                 after={"role": Role.DSO, "reason": f"Handed the principal role over to {_name(successor)}."})  # fmt: skip
    record_event(session, actor, "official.role_changed", user=successor, school_id=school.id,
                 subject=f"user:{successor.id}", before={"email": successor.email, "role": Role.DSO},
                 after={"role": Role.PRINCIPAL_DSO, "reason": f"{_name(current)} handed the principal role over."})  # fmt: skip
    return successor
