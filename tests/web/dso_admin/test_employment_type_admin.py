"""The DSO's employer form carries the kind of employment; Student Information shows it in words."""

import re

import pytest
from sqlalchemy import select

from portal.models import Employer
from portal.models.enums import EmploymentType
from tests.web.dso_admin.test_record_actions import _employer_form


def test_a_dso_enters_the_kind_and_student_information_shows_it(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    url = f"/admin/students/{student.sevis_id}/employers/new"
    assert "Several short-term jobs" in client.get(url).get_data(as_text=True)
    assert client.post(url, data=_employer_form(student, employment_type="agency_or_contract")).status_code == 303
    employer = db_session.scalar(select(Employer).where(Employer.student_id == student.id))
    assert employer.employment_type is EmploymentType.AGENCY_OR_CONTRACT
    page = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True)
    assert '<td class="employment-type">Through an agency or on contract</td>' in page


@pytest.mark.parametrize("posted", [None, "", "gig"], ids=["missing", "empty", "unknown"])
def test_a_missing_or_unknown_kind_is_a_422_on_the_field_never_a_500(client, factory, school, dso, db_session, posted):
    student = factory.student(school=school)
    data = _employer_form(student)
    data.pop("employment_type")
    if posted is not None:
        data["employment_type"] = posted
    response = client.post(f"/admin/students/{student.sevis_id}/employers/new", data=data)
    assert response.status_code == 422
    assert 'id="employment_type-error"' in response.get_data(as_text=True)
    assert db_session.scalar(select(Employer.id).where(Employer.student_id == student.id)) is None


def test_a_dso_edit_keeps_or_changes_the_kind(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    employer = factory.employer(student, employment_type=EmploymentType.SHORT_TERM)
    url = f"/admin/students/{student.sevis_id}/employers/{employer.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert (
        re.search(r'<input checked[^>]*value="short_term"', form)
        and len(re.findall(r"<input checked[^>]*employment_type-", form)) == 1
    )
    data = _employer_form(
        student,
        name=employer.name,
        start_date=employer.start_date.isoformat(),
        version=str(employer.version),
        employment_type="self_employed",
    )
    assert client.post(url, data=data).status_code == 303
    db_session.refresh(employer)
    assert (employer.employment_type, employer.self_employed) == (EmploymentType.SELF_EMPLOYED, True)
