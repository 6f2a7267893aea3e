"""The student's employer form asks the kind of employment (a hint per option) and refuses a bad one on the field."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.models import Employer
from portal.models.enums import EmploymentType, Role
from tests.web.portal.test_employers_pages import form_data


def test_the_form_offers_each_kind_with_its_hint(client, signed_in):
    page = client.get("/employers/new").get_data(as_text=True)
    for words in (
        "Paid employee",
        "Self-employed business owner",
        "Volunteer or unpaid intern",
        "Through an agency or on contract",
        "Several short-term jobs",
        "At least 20 hours a week",
        "for example as a performing artist",
    ):
        assert words in page
    assert (
        page.count('name="employment_type"') == len(EmploymentType)
        and "checked" not in page.split("employment_type")[1][:200]
    )


@pytest.mark.parametrize("posted", [None, "", "freelance"], ids=["missing", "empty", "unknown"])
def test_a_missing_or_unknown_kind_is_a_422_with_the_message_on_the_field(
    client, signed_in, student, db_session, posted
):
    data = form_data(student)
    data.pop("employment_type")
    if posted is not None:
        data["employment_type"] = posted
    response = client.post("/employers", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="employment_type-error"' in page and "Choose the kind of employment." in page
    assert db_session.scalar(select(Employer.id).where(Employer.student_id == student.id)) is None


def test_the_chosen_kind_is_saved_and_shown_in_the_list(client, signed_in, student, db_session):
    assert client.post("/employers", data=form_data(student, employment_type="unpaid")).status_code == 303
    assert (
        db_session.scalar(select(Employer.employment_type).where(Employer.student_id == student.id))
        is EmploymentType.UNPAID
    )
    page = client.get("/employers").get_data(as_text=True)
    assert "Volunteer or unpaid intern" in page and "unpaid" not in page.replace("Volunteer or unpaid intern", "")


def test_a_stem_student_is_told_on_the_field_that_self_employment_is_not_allowed(client, factory, sign_in, db_session):
    today = date.today()
    student = factory.student(opt_start=today - timedelta(days=400), opt_end=today - timedelta(days=36))
    stem = factory.stem_opt(student, status="approved")
    sign_in(factory.user(role=Role.STUDENT, student=student))
    data = form_data(student, employment_type="self_employed", start_date=stem.start_date.isoformat())
    response = client.post("/employers", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="employment_type-error"' in page and "Self-employed business owner is not allowed on STEM OPT" in page
