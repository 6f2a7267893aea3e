"""The DSO's view of a student's history reads as words, like the student's own."""

from portal.models.enums import EmploymentTime, Role
from tests.web.portal.test_history_words import RAW, _visible, change_employer_and_address


def test_dso_history_shows_words_and_no_raw_values(client, factory, school, dso, db_session):
    student = factory.student(school=school)
    employer = factory.employer(student, name="Globex", employment_time=EmploymentTime.FULL_TIME)
    change_employer_and_address(db_session, student, employer, factory.user(role=Role.STUDENT, student=student))
    history = client.get(f"/admin/students/{student.sevis_id}").get_data(as_text=True).split('id="event-history"')[1]
    text = _visible(history.split("Older events")[0])
    assert RAW.findall(text) == []
    assert "Employer changed: Globex" in text and "Full or part time" in text and "Part time" in text
