"""The add-employer form the benchmarks post, shared by the HTTP run and the in-process run."""

from __future__ import annotations

from datetime import datetime


def employer_form() -> dict:
    """A valid add-employer form starting today."""
    return {
        "name": "Bench Employer LLC",
        "address_line1": "1 Main Street",
        "city": "Boston",
        "state": "MA",
        "postal_code": "02110",
        "ein": "123456789",
        "employment_time": "full_time",
        "employment_type": "paid_employee",
        "job_title": "Analyst",
        "start_date": datetime.now().date().isoformat(),
        "course_relevance": "Applies my degree in data science.",
    }
