"""An OPT employer as the SEVIS batch "Employer" type defines it (Create-UpdateStudent.xsd)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, digits_only, enum_column, utcnow
from portal.models.enums import EmployerReview, EmploymentTime, EmploymentType

# Length limits straight from the schema, so forms, services and exports agree.
NAME_MAX = 121
ADDRESS_LINE_MAX = 64
CITY_MAX = 60
COURSE_RELEVANCE_MAX = 1000
SUPERVISOR_FIRST_NAME_MAX = 80
SUPERVISOR_LAST_NAME_MAX = 40
SUPERVISOR_EMAIL_MAX = 255
PHONE_EXTENSION_MAX = 8
JOB_TITLE_MAX = 64


class Employer(Base):
    """Soft-deleted, never removed, so a DSO can restore it (rule 2); versioned for optimistic locking."""

    __tablename__ = "employers"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_not_before_start"),
        CheckConstraint(digits_only("ein", 9), name="ein_nine_digits"),
        CheckConstraint(digits_only("postal_code", 5), name="postal_code_five_digits"),
        CheckConstraint(digits_only("supervisor_phone", 10), name="supervisor_phone_ten_digits"),
        CheckConstraint(
            f"{digits_only('supervisor_phone_ext')} AND (supervisor_phone_ext IS NULL OR length(supervisor_phone_ext) BETWEEN 1 AND 8)",
            name="supervisor_phone_ext_digits",
        ),
        CheckConstraint("length(course_relevance) BETWEEN 1 AND 1000", name="course_relevance_length"),
        CheckConstraint("length(name) BETWEEN 1 AND 121", name="name_length"),
        Index("ix_employers_student_deleted", "student_id", "deleted_at"),
        # The students list's alerts: live employers by student and end (no-employer and unemployment counts),
        # and the few waiting for a STEM review.
        Index(
            "ix_employers_live_student_end",
            "student_id",
            "end_date",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_employers_review_status", "review_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    opt_authorization_id: Mapped[int | None] = mapped_column(ForeignKey("opt_authorizations.id"), index=True)

    name: Mapped[str] = mapped_column(String(NAME_MAX))
    address_line1: Mapped[str] = mapped_column(String(ADDRESS_LINE_MAX))
    address_line2: Mapped[str] = mapped_column(String(ADDRESS_LINE_MAX), default="")
    city: Mapped[str] = mapped_column(String(CITY_MAX))
    state: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(5))
    ein: Mapped[str | None] = mapped_column(String(9), index=True)
    self_employed: Mapped[bool] = mapped_column(default=False)  # SEVIS's SelfEmployed: follows employment_type
    employment_type: Mapped[EmploymentType] = mapped_column(
        enum_column(EmploymentType, "employment_type"),
        default=EmploymentType.PAID_EMPLOYEE,
        server_default=EmploymentType.PAID_EMPLOYEE.value,
    )
    course_relevance: Mapped[str] = mapped_column(String(COURSE_RELEVANCE_MAX))
    employment_time: Mapped[EmploymentTime] = mapped_column(enum_column(EmploymentTime, "employment_time"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    supervisor_first_name: Mapped[str | None] = mapped_column(String(SUPERVISOR_FIRST_NAME_MAX))
    supervisor_last_name: Mapped[str | None] = mapped_column(String(SUPERVISOR_LAST_NAME_MAX))
    supervisor_phone: Mapped[str | None] = mapped_column(String(10))
    supervisor_phone_ext: Mapped[str | None] = mapped_column(String(PHONE_EXTENSION_MAX))
    supervisor_email: Mapped[str | None] = mapped_column(String(SUPERVISOR_EMAIL_MAX))
    job_title: Mapped[str | None] = mapped_column(String(JOB_TITLE_MAX))

    reported_late: Mapped[bool] = mapped_column(default=False)
    review_status: Mapped[EmployerReview] = mapped_column(
        enum_column(EmployerReview, "employer_review"), default=EmployerReview.NOT_NEEDED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    student = relationship("Student")
    opt_authorization = relationship("OptAuthorization", back_populates="employers")

    SNAPSHOT_FIELDS = (
        "name",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "ein",
        "self_employed",
        "employment_type",
        "course_relevance",
        "employment_time",
        "start_date",
        "end_date",
        "supervisor_first_name",
        "supervisor_last_name",
        "supervisor_phone",
        "supervisor_phone_ext",
        "supervisor_email",
        "job_title",
        "reported_late",
        "review_status",
    )

    def snapshot(self) -> dict:
        """The employer's reportable fields as JSON-ready values, for event before/after."""
        values = {}
        for field in self.SNAPSHOT_FIELDS:
            value = getattr(self, field)
            values[field] = value.isoformat() if isinstance(value, date) else value
        values["id"] = self.id
        return values

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# The DSO students search by employer name (LIKE '%text%') through a trigram GIN index: PostgreSQL only (0006).
Index(
    "ix_employers_name_trgm",
    func.lower(Employer.__table__.c.name).label("lower_name"),
    postgresql_using="gin",
    postgresql_ops={"lower_name": "gin_trgm_ops"},
).ddl_if(dialect="postgresql")
