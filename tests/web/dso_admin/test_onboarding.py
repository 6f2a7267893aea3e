"""Bulk onboarding: a dry run with every row's errors, applying with progress, a report; other schools see nothing."""

import io

import pytest
from sqlalchemy import func, select

from portal.models import Event, OptAuthorization, Student
from portal.models.enums import Role
from portal.services import onboarding
from tests.support.onboarding import HEADER as ONBOARDING_HEADER
from tests.support.onboarding import good_row as onboarding_row
from tests.support.onboarding import line

HEADER = ONBOARDING_HEADER + "\n"


def csv_file(text: str, name: str = "students.csv"):
    return (io.BytesIO(text.encode() if isinstance(text, str) else text), name)


def good_row(number: int, **overrides) -> str:
    return line(onboarding_row(number, prefix="N77", **overrides)) + "\n"


def _count_students(db_session, prefix="N77"):
    return db_session.scalar(select(func.count()).select_from(Student).where(Student.sevis_id.like(f"{prefix}%")))


def test_dry_run_shows_what_would_be_created_and_every_rows_errors_and_writes_nothing(client, db_session, factory, dso):
    factory.student(sevis_id="N7700000009")
    body = (
        HEADER
        + good_row(1)
        + good_row(2, email="not-an-email")
        + good_row(3, program_end="2020-01-01")
        + good_row(1, email="dup@example.edu")
        + good_row(9)
        + good_row(4, sevis_id="X1", opt_kind="other")
    )
    events_before = db_session.scalar(select(func.count()).select_from(Event))
    response = client.post("/admin/onboarding/", data={"file": csv_file(body)}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "6 rows: 1 students would be created, 5 rows have problems" in page
    assert "Email address: Enter an email address like name@example.edu." in page
    assert "Program end date: must be on or after the program start date." in page
    assert "SEVIS ID: already on line 2 of the file." in page
    assert "already on file" in page
    assert (
        "OPT kind: other is not one of the choices; use &#34;post_completion&#34; (Post-completion OPT) or "
        "&#34;stem&#34; (STEM OPT)." in page
    )
    assert "Master&#39;s 2024-08-20 to 2026-05-15" in page and "Post-completion OPT 2026-06-01" in page
    assert _count_students(db_session) == 1  # only the factory's student
    assert db_session.scalar(select(func.count()).select_from(Event)) == events_before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        ("sevis_id,surname\nN7700000001,A\n", "missing: &#34;email&#34; (Email address)"),
        (HEADER, "no students"),
        (HEADER + '"unterminated,row\n', "Line 2 of the file cannot be read: a quote"),
        (b"x" * (3 * 1024 * 1024), "larger than 2 MB"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_unreadable_file_is_a_422_naming_the_problem(client, db_session, dso, content, message, htmx):
    response = client.post(
        "/admin/onboarding/",
        data={"file": csv_file(content)},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"} if htmx else {},
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_no_file_is_a_422(client, dso):
    assert client.post("/admin/onboarding/", data={}).status_code == 422


def test_apply_creates_students_in_steps_with_progress_and_a_report(client, db_session, dso, monkeypatch):
    monkeypatch.setattr(onboarding, "CHUNK", 2)
    body = HEADER + "".join(good_row(n) for n in range(1, 6))
    page = client.post(
        "/admin/onboarding/", data={"file": csv_file(body)}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    job_id = page.split("/admin/onboarding/jobs/")[1].split("/")[0]
    first = client.post(f"/admin/onboarding/jobs/{job_id}/step")  # the plain "Create 5 students" button
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/admin/onboarding/jobs/{job_id}")
    progress = client.get(f"/admin/onboarding/jobs/{job_id}").get_data(as_text=True)
    assert "2 of 5 rows done" in progress and 'hx-trigger="load delay:200ms"' in progress
    fragment = client.post(f"/admin/onboarding/jobs/{job_id}/step", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "4 of 5 rows done" in fragment and "<html" not in fragment
    done = client.post(f"/admin/onboarding/jobs/{job_id}/step", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Done: 5 students created" in done and "report.csv" in done
    assert _count_students(db_session) == 5
    assert db_session.scalar(select(func.count()).select_from(OptAuthorization)) >= 5
    client.post(f"/admin/onboarding/jobs/{job_id}/step")  # another step after the end changes nothing
    assert _count_students(db_session) == 5
    report = client.get(f"/admin/onboarding/jobs/{job_id}/report.csv")
    assert report.mimetype == "text/csv"
    lines = report.get_data(as_text=True).strip().splitlines()
    assert (
        lines[0] == "Line of the file,SEVIS ID,Result,Message"
        and len(lines) == 6
        and all(",created," in line for line in lines[1:])
    )


def test_the_dry_run_and_the_report_name_a_row_by_the_line_of_the_file_it_starts_on(client, db_session, factory, dso):
    body = (
        HEADER
        + good_row(1, major='"Data\r\nScience"')  # lines 2 and 3
        + "\r\n"  # line 4
        + good_row(2, email="bad")
        + good_row(3)
        + good_row(4)
        + good_row(4, email="again@example.edu")
    )
    page = client.post("/admin/onboarding/", data={"file": csv_file(body)}, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    problems = text.split("<h2>Rows with problems</h2>")[1].split("<h2>Every row</h2>")[0]
    assert [cell.split("</td>")[0] for cell in problems.split("<tr><td>")[1:]] == ["2", "5", "8"]
    assert "SEVIS ID: already on line 7 of the file." in problems
    assert "Lines are numbered as a text editor numbers them" in text
    job_id = text.split("/admin/onboarding/jobs/")[1].split("/")[0]
    factory.student(sevis_id="N7700000003")  # created meanwhile by someone else
    client.post(f"/admin/onboarding/jobs/{job_id}/step")
    report = client.get(f"/admin/onboarding/jobs/{job_id}/report.csv").get_data(as_text=True)
    assert report.splitlines() == [
        "Line of the file,SEVIS ID,Result,Message",
        "6,N7700000003,not created,A student with SEVIS ID N7700000003 already exists.",
        "7,N7700000004,created,",
    ]


def test_a_row_that_became_invalid_after_the_dry_run_is_reported_not_created(client, db_session, factory, dso):
    body = HEADER + good_row(1) + good_row(2)
    page = client.post(
        "/admin/onboarding/", data={"file": csv_file(body)}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    job_id = page.split("/admin/onboarding/jobs/")[1].split("/")[0]
    factory.student(sevis_id="N7700000002")  # created meanwhile by someone else
    client.post(f"/admin/onboarding/jobs/{job_id}/step")
    report = client.get(f"/admin/onboarding/jobs/{job_id}/report.csv").get_data(as_text=True)
    assert "N7700000002,not created,A student with SEVIS ID N7700000002 already exists." in report


def test_another_schools_official_cannot_see_or_run_the_job(client, db_session, factory, dso, sign_in):
    page = client.post(
        "/admin/onboarding/", data={"file": csv_file(HEADER + good_row(1))}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    job_id = page.split("/admin/onboarding/jobs/")[1].split("/")[0]
    client.post("/sign-out")
    sign_in(factory.user(role=Role.DSO))
    assert client.get(f"/admin/onboarding/jobs/{job_id}").status_code == 404
    assert client.post(f"/admin/onboarding/jobs/{job_id}/step").status_code == 404
    assert client.get(f"/admin/onboarding/jobs/{job_id}/report.csv").status_code == 404
    assert client.get("/admin/onboarding/jobs/../../secret/report.csv").status_code == 404
    assert _count_students(db_session) == 0


@pytest.mark.parametrize("role", [Role.STUDENT, Role.SUPPORT, Role.OPERATOR])
def test_only_officials_onboard(client, factory, sign_in, role):
    sign_in(factory.user(role=role))
    assert client.get("/admin/onboarding/").status_code == 403
