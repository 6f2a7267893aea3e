"""What a DSO reads to accept or return a STEM employer, and the reason a returned one shows the student."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Document, Employer, Event
from portal.models.enums import DocumentKind, EmployerReview

REVIEWED = "employer.reviewed"


@dataclass
class StemReview:
    employer: Employer
    i983s: list[Document]  # the employer's Form I-983 uploads, newest first (a resubmission adds one)
    reviews: list[Event]  # the school's earlier decisions on this employer, oldest first

    @property
    def decisions(self) -> list[tuple]:
        """Each earlier decision as (when, who, what in words, the note)."""
        words = {EmployerReview.ACCEPTED.value: "Accepted", EmployerReview.RETURNED.value: "Returned to the student"}
        return [
            (
                event.occurred_at,
                event.actor_label or "The school",
                words.get((event.after or {}).get("review_status"), "Reviewed"),
                (event.after or {}).get("note") or "",
            )
            for event in self.reviews
        ]

    @property
    def i983(self) -> Document | None:
        """The Form I-983 the student sent with the employer as it stands now."""
        return self.i983s[0] if self.i983s else None


def stem_review(session: Session, employer: Employer) -> StemReview:
    """The employer's Form I-983 uploads and the school's earlier decisions on it (two statements)."""
    i983s = list(
        session.scalars(
            select(Document)
            .where(
                Document.employer_id == employer.id, Document.kind == DocumentKind.I983, Document.deleted_at.is_(None)
            )
            .order_by(Document.uploaded_at.desc(), Document.id.desc())
        )
    )
    reviews = list(
        session.scalars(
            select(Event)
            .where(
                Event.student_id == employer.student_id,
                Event.event_type == REVIEWED,
                Event.subject == f"employer:{employer.id}",
            )
            .order_by(Event.occurred_at, Event.id)
        )
    )
    return StemReview(employer=employer, i983s=i983s, reviews=reviews)


def return_reasons(session: Session, employers: list[Employer]) -> dict[int, str]:
    """Why the school returned each of these employers that stands returned: the note of its latest review, read
    from the event history (one statement; none when no employer is returned)."""
    returned = {
        f"employer:{employer.id}": employer
        for employer in employers
        if employer.review_status is EmployerReview.RETURNED
    }
    if not returned:
        return {}
    student_ids = {employer.student_id for employer in returned.values()}
    reasons: dict[int, str] = {}
    for event in session.scalars(
        select(Event)
        .where(Event.student_id.in_(student_ids), Event.event_type == REVIEWED, Event.subject.in_(returned))
        .order_by(Event.occurred_at, Event.id)
    ):
        after = event.after or {}
        employer_id = returned[event.subject].id
        if after.get("review_status") == EmployerReview.RETURNED.value:
            reasons[employer_id] = after.get("note") or ""
        else:
            reasons.pop(employer_id, None)
    return reasons
