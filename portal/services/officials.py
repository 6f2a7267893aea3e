"""School officials: the principal DSO appoints and removes them; at most ten alternates (22 CFR 62.72)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.models import School, User, utcnow
from portal.models.enums import Role
from portal.models.official_limit import MAX_ALTERNATES
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


def alternate_count(session: Session, school_id: int) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.school_id == school_id, User.role == Role.DSO, User.deactivated_at.is_(None)))  # fmt: skip


def appoint_official(session: Session, school: School, *, actor: Actor, email: str, display_name: str) -> User:
    """Give a person their own alternate-DSO account; refuses an eleventh alternate and an email already in use."""
    _check_principal(actor, school)
    email = normalize_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 200 or any(ord(ch) < 32 for ch in display_name):
        raise InvalidValue("Enter the official's full name (at most 200 characters).", field="display_name")
    if alternate_count(session, school.id) >= MAX_ALTERNATES:
        raise RuleBroken(f"Your school already has {MAX_ALTERNATES} alternate officials, the most allowed besides "
                         "the principal (22 CFR 62.72). Remove one first.")  # fmt: skip
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
    """Remove an alternate official (their account stops working); refuses the principal, oneself and a repeat."""
    school = official.school
    if school is None or official.role not in (Role.DSO, Role.PRINCIPAL_DSO):
        raise NotFound("No such school official.")
    _check_principal(actor, school)
    if official.id == actor.user_id or official.role is Role.PRINCIPAL_DSO:
        raise RuleBroken("The principal DSO cannot be removed here; the school changes its principal with SEVP.")
    if official.deactivated_at is not None:
        raise Conflict(f"{official.display_name or official.email} was already removed.")
    official.deactivated_at = utcnow()
    from portal.services.accounts import end_all_sessions

    end_all_sessions(session, official, actor=actor, reason="official_removed")
    record_event(session, actor, "official.removed", user=official, school_id=school.id, subject=f"user:{official.id}",
                 before={"email": official.email, "role": official.role}, after={"removed": True})  # fmt: skip
    session.flush()
    return official
