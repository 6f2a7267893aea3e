"""Everything a DSO reads about a student on a day says what student_timeline says (DESIGN rules 16 and 17):
the students list row, the alerts and their filters, the Student Information counter and employment labels,
and the CSV export. A table of dated cases, each day travelled to, with the school's own DSO signed in."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pytest
import time_machine

from portal.models.enums import EmployerReview, Role
from portal.services.clock import EASTERN
from portal.services.student_alerts import school_alerts
from portal.services.student_export import EXPORT_HEADER
from portal.services.timeline.database import student_timeline


@dataclass(frozen=True)
class Expected:
    allowed: int
    used: int
    runs_out: str  # as the page writes it
    current_employer: str | None
    no_employer: bool  # "Approved OPT without current employer information"
    nearing_limit: bool  # "Unemployment nearing the limit" (30 or fewer days left, cumulative)
    employment: dict = field(default_factory=dict)  # employer name -> (label, dates) on Student Information


def gaps_85_of_90(factory, school):
    """Three stretches without work (20, 30 and 35 days): 85 days used, never 60 in a row."""
    student = factory.student(school=school, surname="Gaps", opt_start=date(2026, 6, 1), opt_end=date(2027, 5, 31))
    factory.employer(student, name="First Job Co", start_date=date(2026, 6, 21), end_date=date(2026, 7, 31))
    factory.employer(student, name="Second Job Co", start_date=date(2026, 8, 31), end_date=date(2026, 10, 11))
    return student


def starts_next_year(factory, school):
    student = factory.student(school=school, surname="Later", opt_start=date(2026, 10, 1))
    factory.employer(student, name="Next Year Co", start_date=date(2027, 1, 4))
    return student


def ended_in_october(factory, school):
    student = factory.student(school=school, surname="October", opt_start=date(2026, 3, 1))
    factory.employer(student, name="October Co", start_date=date(2026, 3, 1), end_date=date(2026, 10, 15))
    factory.employer(student, name="November Co", start_date=date(2026, 11, 1))
    return student


def stem_next_year(factory, school):
    student = factory.student(school=school, surname="Stem", opt_start=date(2026, 1, 15))  # to 2027-01-14
    factory.stem_opt(student)  # approved, from 2027-01-15
    factory.employer(student, name="Lab Co", start_date=date(2026, 1, 15), review_status=EmployerReview.ACCEPTED)
    return student


CASES = [
    # (story, the day, what every page says that day)
    (
        gaps_85_of_90,
        date(2026, 11, 15),
        Expected(
            90,
            85,
            "11/20/2026",
            None,
            True,
            True,
            {"First Job Co": ("Past", "06/21/2026–07/31/2026"), "Second Job Co": ("Past", "08/31/2026–10/11/2026")},
        ),
    ),
    (
        starts_next_year,
        date(2026, 11, 15),
        Expected(90, 46, "12/29/2026", None, True, False, {"Next Year Co": ("Upcoming", "from 01/04/2027")}),
    ),
    (
        ended_in_october,
        date(2026, 11, 15),
        Expected(
            90,
            16,
            "Not on the employment reported so far",
            "November Co",
            False,
            False,
            {"October Co": ("Past", "03/01/2026–10/15/2026"), "November Co": ("Current", "11/01/2026–present")},
        ),
    ),
    (
        stem_next_year,
        date(2026, 11, 15),
        Expected(
            90,
            0,
            "Not on the employment reported so far",
            "Lab Co",
            False,
            False,
            {"Lab Co": ("Current", "01/15/2026–present")},
        ),
    ),
    (
        stem_next_year,
        date(2027, 2, 1),
        Expected(150, 0, "Not on the employment reported so far", "Lab Co", False, False),
    ),
]


def _fact(block: str, term: str) -> str:
    return re.search(rf"<dt>{term}</dt><dd>([^<]*)</dd>", block).group(1)


@pytest.mark.parametrize(
    ("story", "day", "expected"), CASES, ids=[f"{story.__name__}-{day}" for story, day, _ in CASES]
)
def test_list_alerts_student_information_and_export_agree_with_the_timeline(
    client, factory, sign_in, db_session, story, day, expected
):
    with time_machine.travel(datetime.combine(day, time(12), tzinfo=EASTERN)):
        school = factory.school()
        student = story(factory, school)
        sign_in(factory.user(role=Role.DSO, school=school))

        timeline = student_timeline(db_session, student, day)
        days = timeline.unemployment
        current = timeline.current_employer.name if timeline.current_employer else None
        assert (days.allowed, days.used, current) == (expected.allowed, expected.used, expected.current_employer)
        assert days.nearing_limit == expected.nearing_limit

        # The list row and the filters.
        row = client.get("/admin/students").get_data(as_text=True).split(f"<td>{student.sevis_id}</td>")[1]
        assert row.split("</tr>")[0].count(f"<td>{current or 'No current employer'}</td>") == 1
        for key in ("no_employer", "nearing_limit"):
            listed = client.get("/admin/students", query_string={key: "1"}).get_data(as_text=True)
            assert (student.sevis_id in listed) is getattr(expected, key), key

        # The alerts (one statement for the school and the day) and the overview shows the same.
        alerts = {alert.key: alert.count for alert in school_alerts(db_session, school.id, today=day)}
        assert {key: alerts.get(key, 0) for key in ("no_employer", "nearing_limit")} == {
            "no_employer": int(expected.no_employer),
            "nearing_limit": int(expected.nearing_limit),
        }
        overview = client.get("/admin/").get_data(as_text=True)
        assert ("Unemployment nearing the limit" in overview) is expected.nearing_limit

        # Student Information: the counter as SEVIS shows it, and each employer Current / Past / Upcoming.
        page = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
        counter = page.split('id="unemployment-counter"')[1].split("</dl>")[0]
        assert [_fact(counter, term) for term in ("Allowed", "Used", "Remaining")] == [
            str(days.allowed),
            str(days.used),
            str(days.remaining),
        ]
        assert expected.runs_out in counter
        for name, (label, dates) in expected.employment.items():
            assert re.search(
                rf"{name}<br>.*?</th>\s*<td class=\"employment-type\">[^<]*</td>\s*<td>{dates}</td>\s*<td>{label}", page
            ), name

        # The CSV export.
        text = client.get("/admin/students/export.csv").get_data(as_text=True).lstrip("\ufeff")
        (exported,) = [dict(zip(EXPORT_HEADER, line, strict=True)) for line in list(csv.reader(io.StringIO(text)))[1:]]
        assert exported["Current employer"] == (current or "")
        assert exported["Approved OPT without current employer"] == ("Yes" if expected.no_employer else "No")
        assert exported["Unemployment nearing the limit"] == ("Yes" if days.nearing_limit else "No")
