"""Who is acting: passed explicitly to every service, never read from the request."""

from __future__ import annotations

from dataclasses import dataclass

from portal.models.enums import ActorKind, Role

_KIND_BY_ROLE = {
    Role.STUDENT: ActorKind.STUDENT,
    Role.DSO: ActorKind.SCHOOL_OFFICIAL,
    Role.PRINCIPAL_DSO: ActorKind.SCHOOL_OFFICIAL,
    Role.SUPPORT: ActorKind.SUPPORT,
    Role.OPERATOR: ActorKind.SYSTEM,
}


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    label: str
    user_id: int | None = None
    role: Role | None = None
    school_id: int | None = None
    student_id: int | None = None

    @classmethod
    def for_user(cls, user) -> Actor:
        return cls(
            kind=_KIND_BY_ROLE[user.role],
            label=user.display_name or user.email,
            user_id=user.id,
            role=user.role,
            school_id=user.school_id,
            student_id=user.student_id,
        )

    @classmethod
    def system(cls, label: str = "OPT Portal") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def data_feed(cls, school_id: int, label: str = "SEVIS data feed") -> Actor:
        return cls(kind=ActorKind.DATA_FEED, label=label, school_id=school_id)

    @property
    def is_student(self) -> bool:
        return self.kind is ActorKind.STUDENT

    @property
    def is_school_official(self) -> bool:
        return self.kind is ActorKind.SCHOOL_OFFICIAL

    @property
    def is_support(self) -> bool:
        return self.kind is ActorKind.SUPPORT
