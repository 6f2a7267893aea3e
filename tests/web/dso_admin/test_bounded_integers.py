"""Numbers too big for any row, in paths, query strings and forms: a 404 or a message on the form, never a 500."""

import pytest

from portal.models import ProblemReport
from portal.models.enums import ProblemStatus, Role

HUGE = "99999999999999999999"


def test_a_huge_employers_page_on_student_information_is_a_404(client, factory, school, dso):
    student = factory.student(school=school)
    url = f"/admin/students/{student.sevis_id}"
    assert client.get(url, query_string={"employers_page": HUGE}).status_code == 404
    assert client.get(url, query_string={"employers_page": "2"}).status_code == 200


@pytest.mark.parametrize("url", ["/admin/obligations?page=" + HUGE, "/admin/obligations?page=0"])
def test_a_page_number_out_of_range_is_a_404(client, dso, url):
    assert client.get(url).status_code == 404


def test_a_huge_obligation_id_gets_the_form_message(client, dso):
    response = client.post("/admin/obligations/complete", data={"obligation_ids": [HUGE]})
    assert response.status_code == 422 and "Choose obligations from the list." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        f"/admin/students/N0000000001/documents/{HUGE}",
        f"/admin/change-lists/downloads/{HUGE}",
        "/admin/change-lists/downloads/" + "9" * 5000,
    ],
)
def test_a_huge_id_in_a_path_is_a_404(client, dso, path):
    assert client.get(path).status_code == 404


def test_a_huge_id_in_a_post_path_is_a_404(client, factory, school, sign_in):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO, school=school))
    assert client.post(f"/admin/officials/{HUGE}/remove").status_code == 404


def test_support_huge_assignee_and_page(client, factory, sign_in, db_session):
    sign_in(factory.user(role=Role.SUPPORT))
    student = factory.student()
    report = ProblemReport(
        student_id=student.id,
        reporter_name=student.full_name,
        sevis_id=student.sevis_id,
        description="I cannot see my employer.",
    )
    db_session.add(report)
    db_session.flush()
    response = client.post(
        f"/support/problems/{report.id}", data={"assignee": HUGE, "status": "answered"}, follow_redirects=True
    )
    assert response.status_code == 200 and "Choose a member of support staff" in response.get_data(as_text=True)
    db_session.refresh(report)
    assert report.status is ProblemStatus.NEW and report.assigned_to_user_id is None
    assert client.get("/support/problems", query_string={"page": HUGE}).status_code == 404
