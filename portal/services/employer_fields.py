"""Employer fields: which a person may change, how each is cleaned, and the employment-type rules (rules 2, 3).

The operations on employers (add, edit, delete, restore) are in portal.services.employers.
"""

from __future__ import annotations

from portal.models import employer as limits
from portal.models.enums import STEM_EMPLOYMENT_TYPES, EmploymentTime, EmploymentType, OptKind
from portal.services.errors import InvalidValue, RuleBroken
from portal.services.labels import FIELD_LABELS, label
from portal.services.receipts import changed_line
from portal.services.validation import (
    clean_date,
    clean_digits,
    clean_email,
    clean_state,
    clean_text,
    clean_us_phone,
    clean_zip,
)

# DESIGN rule 3 / issue 4: on STEM OPT a student may change only these without a new Form I-983.
STEM_STUDENT_EDITABLE = frozenset(
    {
        "job_title",
        "supervisor_first_name",
        "supervisor_last_name",
        "supervisor_phone",
        "supervisor_phone_ext",
        "supervisor_email",
        "end_date",
    }
)
EDITABLE_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "ein",
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
)


def is_ticked(value) -> bool:
    """Whether a form or feed flag is set (a ticked box, "yes", "true", "1", or a true value)."""
    if isinstance(value, str):
        return value.strip().lower() in {"y", "yes", "true", "1", "on"}
    return bool(value)


def clean_employment_type(data: dict) -> EmploymentType:
    """The kind of employment; when left out (a data feed, an older caller), self-employed or paid by the flag."""
    raw = data.get("employment_type")
    if raw is None:
        return EmploymentType.SELF_EMPLOYED if is_ticked(data.get("self_employed")) else EmploymentType.PAID_EMPLOYEE
    try:
        chosen = EmploymentType(raw.strip() if isinstance(raw, str) else raw)
    except ValueError:
        choices = ", ".join(label(kind).lower() for kind in EmploymentType)
        raise InvalidValue(f"Choose the kind of employment: {choices}.", field="employment_type") from None
    if is_ticked(data.get("self_employed")) and chosen is not EmploymentType.SELF_EMPLOYED:
        raise InvalidValue(
            f"This job is marked self-employed but its employment type is {label(chosen).lower()}. "
            "Choose self-employed business owner, or leave self-employed unmarked.",
            field="employment_type",
        )
    return chosen


def require_type_allowed_on(opt, employment_type: EmploymentType) -> None:
    """Refuses an employment type STEM OPT does not allow (docs/rules.md "Employment type")."""
    if opt is not None and opt.kind == OptKind.STEM and employment_type not in STEM_EMPLOYMENT_TYPES:
        raise RuleBroken(
            f"{label(employment_type)} is not allowed on STEM OPT: a STEM employer must employ and pay you, "
            "sign your Form I-983 and use E-Verify. Choose paid employee or agency or contract, "
            "or ask your DSO if this job is a paid job under an employer.",
            field="employment_type",
        )


def clean_employer_data(data: dict) -> dict:
    """Every Employer field checked against the SEVIS batch schema; refuses the first bad value, on its field."""
    cleaned: dict = {}
    cleaned["name"] = clean_text(
        data.get("name"), field="name", label="employer name", max_length=limits.NAME_MAX, required=True
    )
    cleaned["address_line1"] = clean_text(
        data.get("address_line1"),
        field="address_line1",
        label="street address",
        max_length=limits.ADDRESS_LINE_MAX,
        required=True,
    )
    cleaned["address_line2"] = (
        clean_text(
            data.get("address_line2"),
            field="address_line2",
            label="second address line",
            max_length=limits.ADDRESS_LINE_MAX,
        )
        or ""
    )
    cleaned["city"] = clean_text(
        data.get("city"), field="city", label="city", max_length=limits.CITY_MAX, required=True
    )
    cleaned["state"] = clean_state(data.get("state"))
    cleaned["postal_code"] = clean_zip(data.get("postal_code"), state=cleaned["state"])
    cleaned["ein"] = clean_digits(data.get("ein"), field="ein", label="EIN", length=9, example=", like 12-3456789")
    cleaned["employment_type"] = clean_employment_type(data)
    # SEVIS's SelfEmployed indicator follows the type, so the two never disagree.
    cleaned["self_employed"] = cleaned["employment_type"] is EmploymentType.SELF_EMPLOYED
    cleaned["course_relevance"] = clean_text(
        data.get("course_relevance"),
        field="course_relevance",
        label="description of how the job relates to your degree",
        max_length=limits.COURSE_RELEVANCE_MAX,
        required=True,
        multiline=True,
    )
    try:
        cleaned["employment_time"] = EmploymentTime(data.get("employment_time"))
    except ValueError:
        raise InvalidValue("Choose full time or part time.", field="employment_time") from None
    cleaned["start_date"] = clean_date(data.get("start_date"), field="start_date", label="start date", required=True)
    cleaned["end_date"] = clean_date(data.get("end_date"), field="end_date", label="end date")
    if cleaned["end_date"] is not None and cleaned["end_date"] < cleaned["start_date"]:
        raise RuleBroken("The end date must be on or after the start date.", field="end_date")
    cleaned["supervisor_first_name"] = clean_text(
        data.get("supervisor_first_name"),
        field="supervisor_first_name",
        label="supervisor's first name",
        max_length=limits.SUPERVISOR_FIRST_NAME_MAX,
        no_digits=True,
    )
    cleaned["supervisor_last_name"] = clean_text(
        data.get("supervisor_last_name"),
        field="supervisor_last_name",
        label="supervisor's last name",
        max_length=limits.SUPERVISOR_LAST_NAME_MAX,
        no_digits=True,
    )
    cleaned["supervisor_phone"] = clean_us_phone(
        data.get("supervisor_phone"), field="supervisor_phone", label="supervisor's phone number"
    )
    cleaned["supervisor_phone_ext"] = clean_digits(
        data.get("supervisor_phone_ext"),
        field="supervisor_phone_ext",
        label="extension",
        max_length=limits.PHONE_EXTENSION_MAX,
    )
    cleaned["supervisor_email"] = clean_email(
        data.get("supervisor_email"),
        field="supervisor_email",
        label="supervisor's email address",
        max_length=limits.SUPERVISOR_EMAIL_MAX,
    )
    cleaned["job_title"] = clean_text(
        data.get("job_title"), field="job_title", label="job title", max_length=limits.JOB_TITLE_MAX
    )
    return cleaned


def employer_changed_line(name: str, before, after) -> str:
    """One "changed from ... to ..." receipt line for an employer field, in words."""
    if name == "employment_type":
        before, after = label(before), label(after)
    return changed_line(FIELD_LABELS[name], before, after)
