"""What the DSO asked the students list for: the search words and filters read from the request, validated, and
the sorts and page sizes the list offers (student_search runs the query; student_export exports it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portal.models import Student
from portal.models.enums import OptKind, OptStatus

PAGE_SIZES = (10, 25, 50, 100, 250, 500, 1000)  # as SEVIS lists offer
SORTS = {
    "name": (Student.surname, Student.given_name, Student.id),
    "sevis_id": (Student.sevis_id,),
    "email": (Student.email, Student.id),
    "changed": (Student.updated_at, Student.id),
}
ACCOUNT_FILTERS = ("created", "pending", "locked")
MAX_QUERY = 200


@dataclass
class StudentQuery:
    """What the DSO asked for: all fields optional, validated by ``parse``."""

    q: str = ""
    opt_kind: OptKind | None = None
    opt_status: OptStatus | None = None
    account: str | None = None
    no_employer: bool = False
    nearing_limit: bool = False
    changed_since: date | None = None
    reported_late: bool = False
    overdue: bool = False
    stem_review: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1
    per_page: int = 25
    errors: dict = field(default_factory=dict)

    def as_args(self, **overrides) -> dict:
        """The query as URL arguments (for links to other pages, sorts and exports)."""
        values = {
            "q": self.q or None,
            "opt_kind": self.opt_kind.value if self.opt_kind else None,
            "opt_status": self.opt_status.value if self.opt_status else None,
            "account": self.account,
            "no_employer": "1" if self.no_employer else None,
            "nearing_limit": "1" if self.nearing_limit else None,
            "changed_since": self.changed_since.isoformat() if self.changed_since else None,
            "reported_late": "1" if self.reported_late else None,
            "overdue": "1" if self.overdue else None,
            "stem_review": "1" if self.stem_review else None,
            "sort": self.sort if self.sort != "name" else None,
            "dir": "desc" if self.descending else None,
            "per_page": self.per_page if self.per_page != 25 else None,
            "page": self.page if self.page != 1 else None,
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}


def _enum_or_error(enum_class, raw: str | None, name: str, errors: dict):
    if not raw:
        return None
    try:
        return enum_class(raw)
    except ValueError:
        errors[name] = "Choose one of the listed values."
        return None


def parse(args) -> StudentQuery:
    """Read a StudentQuery from request arguments; bad values become messages in ``errors``, never an exception."""
    errors: dict = {}
    q = (args.get("q") or "").strip()
    if len(q) > MAX_QUERY or any(ord(ch) < 32 for ch in q):
        errors["q"] = f"Search for a name, SEVIS ID, email or employer (at most {MAX_QUERY} characters)."
        q = ""
    query = StudentQuery(q=q, errors=errors)
    query.opt_kind = _enum_or_error(OptKind, args.get("opt_kind"), "opt_kind", errors)
    query.opt_status = _enum_or_error(OptStatus, args.get("opt_status"), "opt_status", errors)
    account = args.get("account") or None
    if account is not None and account not in ACCOUNT_FILTERS:
        errors["account"] = "Choose one of the listed values."
        account = None
    query.account = account
    for flag in ("no_employer", "nearing_limit", "reported_late", "overdue", "stem_review"):
        setattr(query, flag, args.get(flag) in ("1", "on", "true", "y"))
    raw_since = (args.get("changed_since") or "").strip()
    if raw_since:
        try:
            query.changed_since = date.fromisoformat(raw_since)
        except ValueError:
            errors["changed_since"] = "Enter a date like 2026-03-31."
    sort = args.get("sort") or "name"
    query.sort = sort if sort in SORTS else "name"
    query.descending = args.get("dir") == "desc"
    try:
        per_page = int(args.get("per_page") or 25)
    except ValueError:
        per_page = 25
    query.per_page = per_page if per_page in PAGE_SIZES else 25
    try:
        query.page = max(1, min(int(args.get("page") or 1), 1_000_000))
    except ValueError:
        query.page = 1
    return query
