"""SEVIS batch files: at most 250 students a file, several in a zip, each valid against the XSD."""

import io
import zipfile

import pytest

from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.employers import add_employer
from portal.services.sevis.batch_files import (
    MAX_FILES_PER_DOWNLOAD,
    MAX_RECORDS_PER_FILE,
    batch_id,
    batch_part,
    xml_zip,
)
from portal.services.sevis.batch_xml import xml_records
from tests.unit import test_change_lists as change_list_cases
from tests.unit.test_change_lists import _everything, employer_data

# The change lists' own fixtures, shared with test_change_lists.py (school and dso come from tests/unit/conftest.py).
schema = change_list_cases.schema


def test_more_than_250_students_make_a_zip_of_valid_files(factory, db_session, school, dso, schema):
    student = factory.student(school=school)
    actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
    for number in range(MAX_RECORDS_PER_FILE + 3):
        add_employer(db_session, student, employer_data(student, name=f"Employer {number}", ein=None), actor=actor)
    records = xml_records(db_session, school.id, _everything(db_session, dso), user_id="0000000001")
    data = b"".join(xml_zip(records, school=school, user_id="0000000001", download_id=7))
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert names == ["sevis-batch-001.xml", "sevis-batch-002.xml"]
    counts = []
    for name in names:
        text = archive.read(name).decode()
        schema.validate(text)
        counts.append(text.count("<Student "))
    assert counts == [250, 3]


def test_batch_ids_stay_unique_and_fourteen_characters_for_every_file_a_download_can_hold():
    names = [batch_id(123, part) for part in range(1, MAX_FILES_PER_DOWNLOAD + 1)]
    assert len(set(names)) == MAX_FILES_PER_DOWNLOAD and {len(name) for name in names} == {14}
    assert [batch_part(name[-2:]) for name in names] == list(range(1, MAX_FILES_PER_DOWNLOAD + 1))
    for part in (0, MAX_FILES_PER_DOWNLOAD + 1):
        with pytest.raises(ValueError):
            batch_id(123, part)
