"""The issue's 'done when': in the demo a DSO signs in with MFA, finds a student who deleted an employer,
restores it, marks an obligation complete, and downloads a change list whose rows are the demo's changes."""

import csv
import io

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD, seed
from portal.models import Employer, ReportingObligation, User


def test_the_demo_flow(client, db_session, sign_in):
    seed(db_session, students_per_school=13)
    dso = db_session.scalar(select(User).where(User.email == "dso1@northfield.example.edu"))
    sign_in(dso, password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200  # signed in, MFA done

    # Find the student who deleted an employer: the students list filtered on recent portal changes.
    deleted = db_session.scalar(
        select(Employer)
        .join(Employer.student)
        .where(Employer.deleted_at.is_not(None), Employer.student.has(school_id=dso.school_id))
    )
    sevis_id = deleted.student.sevis_id
    listing = client.get("/admin/students", query_string={"q": sevis_id}).get_data(as_text=True)
    assert sevis_id in listing
    page = client.get(f"/admin/students/{sevis_id}").get_data(as_text=True)
    assert f"Restore {deleted.name}" in page and "employer.deleted" in page

    assert client.post(f"/admin/students/{sevis_id}/employers/{deleted.id}/restore").status_code == 303
    db_session.refresh(deleted)
    assert deleted.deleted_at is None

    obligation = db_session.scalar(
        select(ReportingObligation).where(
            ReportingObligation.school_id == dso.school_id, ReportingObligation.completed_at.is_(None)
        )
    )
    assert client.post("/admin/obligations/complete", data={"obligation_ids": [obligation.id]}).status_code == 303

    posted = client.post("/admin/change-lists/download", data={"since_last": "1", "format": "csv"})
    assert posted.status_code == 303
    response = client.get(posted.headers["Location"])
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    kinds = {row[2] for row in rows}
    assert {"Employer added", "Employer deleted", "Employer restored by the school"} <= kinds
    assert any(
        row[0] == sevis_id and row[2] == "Employer restored by the school" and row[3] == deleted.name for row in rows
    )
