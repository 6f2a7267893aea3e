"""The student aggregate: the SEVIS record, its programs of study, OPT authorizations and addresses."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, digits_only, enum_column, utcnow
from portal.models.enums import AddressKind, EducationLevel, OptKind, OptStatus, ProgramStatus

SEVIS_ID_CHECK = (
    "length(sevis_id) = 11 AND substr(sevis_id, 1, 1) = 'N' AND ltrim(substr(sevis_id, 2), '0123456789') = ''"
)


class Student(Base):
    """One SEVIS ID. Its school is the school that holds the current program record."""

    __tablename__ = "students"
    __table_args__ = (
        CheckConstraint(SEVIS_ID_CHECK, name="sevis_id_format"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # The DSO students list's default order, so a page of 20,000 students needs no sort (issue 5).
        Index("ix_students_school_name", "school_id", "surname", "given_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sevis_id: Mapped[str] = mapped_column(String(11), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    surname: Mapped[str] = mapped_column(String(40))
    given_name: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), index=True)
    requested_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    school = relationship("School")
    user = relationship("User", back_populates="student", uselist=False)
    program_records = relationship("ProgramRecord", back_populates="student", order_by="ProgramRecord.created_at")
    addresses = relationship("Address", back_populates="student")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.surname}".strip()

    def __repr__(self) -> str:
        return f"<Student {self.sevis_id}>"


def student_full_name(table=None):
    """lower(given_name || ' ' || surname): what the DSO's name search matches, and what PostgreSQL indexes."""
    columns = (table if table is not None else Student.__table__).c
    return func.lower(columns.given_name + literal_column("' '") + columns.surname)


# The DSO students search (LIKE '%text%') through trigram GIN indexes: PostgreSQL only (pg_trgm, migration 0006).
event.listen(
    Base.metadata, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)
# The full name as text (with its operator class), written as PostgreSQL reads it back; the search matches it with
# student_full_name() below.
Index(
    "ix_students_full_name_trgm",
    text("lower((given_name || ' ') || surname) gin_trgm_ops"),
    _table=Student.__table__,
    postgresql_using="gin",
).ddl_if(dialect="postgresql")
# (A plain index on SQLite, which has no trigram index.)
Index(
    "ix_students_email_trgm",
    Student.__table__.c.email,
    postgresql_using="gin",
    postgresql_ops={"email": "gin_trgm_ops"},
)


class ProgramRecord(Base):
    """A program of study under one SEVIS ID; a transfer or a change of level opens a new one (rule 4)."""

    __tablename__ = "program_records"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="end_not_before_start"),
        Index("ix_program_records_student_status", "student_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    education_level: Mapped[EducationLevel] = mapped_column(enum_column(EducationLevel, "education_level"))
    major: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[ProgramStatus] = mapped_column(
        enum_column(ProgramStatus, "program_status"), default=ProgramStatus.ACTIVE
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    completed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    student = relationship("Student", back_populates="program_records")
    school = relationship("School")
    opt_authorizations = relationship(
        "OptAuthorization", back_populates="program_record", order_by="OptAuthorization.start_date"
    )


class OptAuthorization(Base):
    """Post-completion or STEM OPT under one program record: the dates the student requested and, once approved,
    the dates on the EAD card (rule 16 counts from those)."""

    __tablename__ = "opt_authorizations"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="end_not_before_start"),
        CheckConstraint("actual_end_date >= actual_start_date", name="actual_end_not_before_actual_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_record_id: Mapped[int] = mapped_column(ForeignKey("program_records.id"), index=True)
    kind: Mapped[OptKind] = mapped_column(enum_column(OptKind, "opt_kind"))
    status: Mapped[OptStatus] = mapped_column(enum_column(OptStatus, "opt_status"), default=OptStatus.PENDING)
    # The requested dates: what the student asked for on the application.
    start_date: Mapped[date]
    end_date: Mapped[date]
    # The EAD card's validity, recorded at approval (0011); NULL while pending or denied.
    actual_start_date: Mapped[date | None]
    actual_end_date: Mapped[date | None]
    decided_at: Mapped[datetime | None]
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    program_record = relationship("ProgramRecord", back_populates="opt_authorizations")
    employers = relationship("Employer", back_populates="opt_authorization")


class Address(Base):
    """A student's current physical or mailing address; earlier values live in the event history."""

    __tablename__ = "addresses"
    __table_args__ = (
        UniqueConstraint("student_id", "kind"),
        CheckConstraint(digits_only("postal_code", 5), name="postal_code_five_digits"),
        CheckConstraint("length(state) = 2", name="state_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    kind: Mapped[AddressKind] = mapped_column(enum_column(AddressKind, "address_kind"))
    line1: Mapped[str] = mapped_column(String(64))
    line2: Mapped[str] = mapped_column(String(64), default="")
    city: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    student = relationship("Student", back_populates="addresses")
