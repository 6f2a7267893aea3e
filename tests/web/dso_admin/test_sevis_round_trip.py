"""The SEVIS round trip (rule 9): a DSO uploads the transaction log SEVIS returned for a batch; each record is
accepted or rejected with SEVIS's message, shown on the change-list page and Student Information; a rejection
comes back in "since my last download" until it is resolved; bad logs are refused whole and change nothing."""

import csv
import io
import zipfile
from xml.etree import ElementTree

import pytest
import xmlschema
from sqlalchemy import func, select

from portal.models import ChangeListDownload, Event, SevisRecordResult, SevisTransactionLog
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.employers import add_employer
from portal.services.sevis.schemas import translog_schema
from portal.services.sevis.transaction_log import MAX_LOG_BYTES
from tests.unit.test_change_lists import employer_data

REJECTION = "Employer EIN does not match the employer name"


def _download(client, data):
    response = client.post("/admin/change-lists/download", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"])


def _batch(client) -> tuple[str, str, dict[str, str]]:
    """Download "since my last download" as SEVIS batch XML: (BatchID, OrgID, {SEVIS ID: requestID})."""
    root = ElementTree.fromstring(_download(client, {"since_last": "1", "format": "xml"}).data)
    records = {student.get("sevisID"): student.get("requestID") for student in root.iter("Student")}
    return root.findtext("BatchHeader/BatchID"), root.findtext("BatchHeader/OrgID"), records


def translog(batch_id: str, org_id: str, records: list[tuple[str, str, bool, str | None]]) -> bytes:
    """A hand-written SevisTransLog.xsd TransactionLog: records are (requestID, sevisID, accepted, message)."""
    rows = []
    for request_id, sevis_id, accepted, message in records:
        detail = (
            "<ErrorCode>S1000</ErrorCode><ErrorMessage>Record processed</ErrorMessage>"
            if accepted
            else f"<ErrorCode>S2117</ErrorCode><ErrorMessage>{message}</ErrorMessage>"
        )
        rows.append(
            f'<Record sevisID="{sevis_id}" requestID="{request_id}"><ProcessDate>2026-11-03T09:15:00</ProcessDate>'
            f'<Result status="{"1" if accepted else "0"}">{detail}</Result></Record>'
        )
    failures = sum(1 for record in records if not record[2])
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><TransactionLog><BatchHeader><BatchID>{batch_id}</BatchID>'
        f'<OrgID>{org_id}</OrgID></BatchHeader><BatchDetail status="{"0" if failures else "1"}">'
        '<Upload resultCode="S1000" dateTimeStamp="2026-11-03T09:00:00"><FileName>batch.xml</FileName></Upload>'
        f'<Process resultCode="{"S2000" if failures else "S1000"}" dateTimeStamp="2026-11-03T09:15:00">'
        f"<RecordCount><Success>{len(records) - failures}</Success><Failure>{failures}</Failure>"
        f"<Total>{len(records)}</Total></RecordCount>{''.join(rows)}</Process></BatchDetail></TransactionLog>"
    ).encode()


def _upload(client, data: bytes, name: str = "translog.xml"):
    return client.post(
        "/admin/change-lists/logs", data={"log": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def _csv_since_last(client) -> list[list[str]]:
    text = _download(client, {"since_last": "1", "format": "csv"}).get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))[1:]


def _state(db_session) -> tuple:
    """What an upload may change: logs, results, events, downloads."""
    count = lambda model: db_session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return count(SevisTransactionLog), count(SevisRecordResult), count(Event), count(ChangeListDownload)


@pytest.fixture
def two_students(factory, school, db_session):
    students = []
    for surname in ("Accepted", "Rejected"):
        student = factory.student(school=school, surname=surname)
        actor = Actor.for_user(factory.user(role=Role.STUDENT, student=student))
        add_employer(db_session, student, employer_data(student), actor=actor)
        students.append(student)
    return students


def test_round_trip_accepted_and_rejected_then_resolved(client, dso, two_students, db_session):
    accepted, rejected = two_students
    batch_id, org_id, records = _batch(client)
    assert set(records) == {accepted.sevis_id, rejected.sevis_id}
    log = translog(
        batch_id,
        org_id,
        [
            (records[accepted.sevis_id], accepted.sevis_id, True, None),
            (records[rejected.sevis_id], rejected.sevis_id, False, REJECTION),
        ],
    )
    translog_schema().validate(xmlschema.XMLResource(log))  # the hand-written log is a valid SevisTransLog

    response = _upload(client, log)
    assert response.status_code == 303
    page = client.get("/admin/change-lists").get_data(as_text=True)
    assert f"Batch {batch_id}: SEVIS accepted 1 and rejected 1." in page
    rejected_section = page[page.index(f"Rejected in batch {batch_id}") :]
    assert rejected.surname in rejected_section and REJECTION in rejected_section
    assert accepted.surname not in rejected_section
    events = dict(
        db_session.execute(
            select(Event.student_id, Event.event_type).where(Event.event_type.like("sevis.%")).order_by(Event.id)
        ).all()
    )
    assert events == {accepted.id: "sevis.record_accepted", rejected.id: "sevis.record_rejected"}

    info = client.get(f"/admin/students/{rejected.sevis_id}").get_data(as_text=True)
    assert "Rejected by SEVIS" in info and REJECTION in info
    assert "Accepted by SEVIS" in client.get(f"/admin/students/{accepted.sevis_id}").get_data(as_text=True)

    # The rejected change comes back in the next "since my last download", in the CSV and in the XML ...
    assert {row[0] for row in _csv_since_last(client)} == {rejected.sevis_id}
    _, _, again = _batch(client)
    assert set(again) == {rejected.sevis_id}
    # ... until the DSO marks it resolved, which asks for the confirmation first.
    result = db_session.scalar(select(SevisRecordResult).where(SevisRecordResult.student_id == rejected.id))
    refused = client.post(f"/admin/change-lists/results/{result.id}/resolve", data={})
    assert refused.status_code == 422 and "I have dealt with this rejection in SEVIS" in refused.get_data(as_text=True)
    assert client.post(f"/admin/change-lists/results/{result.id}/resolve", data={"confirm": "1"}).status_code == 303
    assert _csv_since_last(client) == []
    assert "Rejected by SEVIS, since resolved" in client.get(f"/admin/students/{rejected.sevis_id}").get_data(
        as_text=True
    )
    assert client.post(f"/admin/change-lists/results/{result.id}/resolve", data={"confirm": "1"}).status_code == 409


def test_a_later_log_accepting_the_change_resolves_the_rejection(client, dso, two_students, db_session):
    _, rejected = two_students
    batch_id, org_id, records = _batch(client)
    _upload(
        client,
        translog(
            batch_id,
            org_id,
            [(request, sevis, sevis != rejected.sevis_id, REJECTION) for sevis, request in records.items()],
        ),
    )
    batch_again, _, again = _batch(client)  # the rejected Add is sent again, in a new batch
    assert batch_again != batch_id and set(again) == {rejected.sevis_id}
    response = _upload(
        client, translog(batch_again, org_id, [(again[rejected.sevis_id], rejected.sevis_id, True, None)])
    )
    assert response.status_code == 303
    result = db_session.scalar(
        select(SevisRecordResult).where(
            SevisRecordResult.student_id == rejected.id, SevisRecordResult.accepted.is_(False)
        )
    )
    assert result.resolved_at is not None and _csv_since_last(client) == []


def test_a_past_range_download_with_open_rejections_leaves_the_mark(client, dso, two_students, db_session):
    """Sending rejections again never moves "since my last download" backwards."""
    _, rejected = two_students
    batch_id, org_id, records = _batch(client)
    _upload(
        client,
        translog(
            batch_id,
            org_id,
            [(request, sevis, sevis != rejected.sevis_id, REJECTION) for sevis, request in records.items()],
        ),
    )
    mark = db_session.scalar(
        select(func.max(ChangeListDownload.covers_until)).where(ChangeListDownload.since_last_download)
    )
    _download(client, {"start": "2000-01-01", "end": "2000-01-31", "format": "csv"})
    _csv_since_last(client)
    after = db_session.scalar(
        select(func.max(ChangeListDownload.covers_until)).where(ChangeListDownload.since_last_download)
    )
    assert after >= mark


def test_a_list_fetched_again_sends_the_rejections_it_sent_then(client, dso, two_students, db_session):
    _, rejected = two_students
    batch_id, org_id, records = _batch(client)
    _upload(
        client,
        translog(
            batch_id,
            org_id,
            [(request, sevis, sevis != rejected.sevis_id, REJECTION) for sevis, request in records.items()],
        ),
    )
    first = _download(client, {"since_last": "1", "format": "csv"})
    download = db_session.scalar(select(ChangeListDownload).order_by(ChangeListDownload.id.desc()).limit(1))
    result = db_session.scalar(select(SevisRecordResult).where(SevisRecordResult.accepted.is_(False)))
    client.post(f"/admin/change-lists/results/{result.id}/resolve", data={"confirm": "1"})
    assert client.get(f"/admin/change-lists/downloads/{download.id}").data == first.data


def test_a_log_naming_records_the_batch_did_not_contain_is_refused_whole(
    client, dso, two_students, factory, school, db_session
):
    accepted, _ = two_students
    batch_id, org_id, records = _batch(client)
    stranger = factory.student(school=school)
    log = translog(
        batch_id,
        org_id,
        [(records[accepted.sevis_id], accepted.sevis_id, True, None), ("E999999", stranger.sevis_id, False, REJECTION)],
    )
    translog_schema().validate(xmlschema.XMLResource(log))
    before = _state(db_session)
    response = _upload(client, log)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        f"did not contain: E999999 ({stranger.sevis_id})" in body
        and accepted.sevis_id not in body.split("did not")[1][:80]
    )
    assert _state(db_session) == before


def _other_schools_batch(client, factory, db_session, sign_in):
    """A batch another school's DSO downloaded: (BatchID, that school's code)."""
    other_school = factory.school()
    student = factory.student(school=other_school)
    add_employer(
        db_session,
        student,
        employer_data(student),
        actor=Actor.for_user(factory.user(role=Role.STUDENT, student=student)),
    )
    client.post("/sign-out")
    sign_in(factory.user(role=Role.DSO, school=other_school))
    batch_id, org_id, records = _batch(client)
    return batch_id, org_id, records


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b"<TransactionLog>&lol2;</TransactionLog>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<TransactionLog><BatchHeader><BatchID>&x;</BatchID><OrgID>x</OrgID></BatchHeader></TransactionLog>"
)


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("malformed", 422, "not well-formed XML"),
        ("not_xml", 422, "not an XML file"),
        ("wrong_extension", 422, "an XML file (.xml)"),
        ("schema_invalid", 422, "transaction log schema (SevisTransLog.xsd)"),
        ("too_large", 413, "larger than 2 MB"),
        ("empty", 422, "is empty"),
        ("billion_laughs", 422, "not well-formed XML"),
        ("xxe", 422, "not well-formed XML"),
        ("other_school_code", 422, "not yours"),
        ("other_schools_batch", 422, "not a SEVIS batch file your school downloaded"),
        ("unknown_batch", 422, "not a SEVIS batch file your school downloaded"),
    ],
)
def test_bad_logs_get_a_clear_4xx_and_change_nothing(
    client, dso, two_students, factory, school, db_session, sign_in, case, status, words
):
    batch_id, org_id, records = _batch(client)
    valid = translog(batch_id, org_id, [(request, sevis, True, None) for sevis, request in records.items()])
    name = "translog.xml"
    if case == "malformed":
        data = valid[:-20]
    elif case == "not_xml":
        data = b"%PDF-1.7 not a log"
    elif case == "wrong_extension":
        data, name = valid, "translog.pdf"
    elif case == "schema_invalid":
        data = valid.replace(b"<ProcessDate>2026-11-03T09:15:00</ProcessDate>", b"")
    elif case == "too_large":
        data = valid + b" " * MAX_LOG_BYTES
    elif case == "empty":
        data = b""
    elif case == "billion_laughs":
        data = BILLION_LAUGHS
    elif case == "xxe":
        data = XXE
    elif case == "other_school_code":
        data = translog(batch_id, factory.school().code, [(r, s, True, None) for s, r in records.items()])
    elif case == "unknown_batch":
        data = translog("OPT99999999901", org_id, [(r, s, True, None) for s, r in records.items()])
    else:
        other_batch, _, other_records = _other_schools_batch(client, factory, db_session, sign_in)
        client.post("/sign-out")
        sign_in(dso)
        data = translog(other_batch, org_id, [(r, s, True, None) for s, r in other_records.items()])
    before = _state(db_session)
    response = _upload(client, data, name)
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:300]
    assert words in body and 'id="log-error"' in body
    assert _state(db_session) == before


def test_the_same_log_twice_is_refused(client, dso, two_students, db_session):
    batch_id, org_id, records = _batch(client)
    log = translog(batch_id, org_id, [(request, sevis, True, None) for sevis, request in records.items()])
    assert _upload(client, log).status_code == 303
    before = _state(db_session)
    response = _upload(client, log)
    assert response.status_code == 409 and "already uploaded" in response.get_data(as_text=True)
    assert _state(db_session) == before


def test_another_schools_official_cannot_resolve_a_rejection(client, dso, two_students, factory, db_session, sign_in):
    _, rejected = two_students
    batch_id, org_id, records = _batch(client)
    _upload(
        client,
        translog(
            batch_id,
            org_id,
            [(request, sevis, sevis != rejected.sevis_id, REJECTION) for sevis, request in records.items()],
        ),
    )
    result = db_session.scalar(select(SevisRecordResult).where(SevisRecordResult.accepted.is_(False)))
    client.post("/sign-out")
    sign_in(factory.user(role=Role.DSO, school=factory.school()))
    assert client.post(f"/admin/change-lists/results/{result.id}/resolve", data={"confirm": "1"}).status_code == 404
    assert REJECTION not in client.get("/admin/change-lists").get_data(as_text=True)
    db_session.refresh(result)
    assert result.resolved_at is None


def test_a_log_for_a_later_file_of_a_zip_matches_that_file(client, dso, two_students, db_session, monkeypatch):
    """Two students, one record per file: the second file's log names the second file's record."""
    monkeypatch.setattr("portal.services.sevis.batch_files.MAX_RECORDS_PER_FILE", 1)
    response = client.post("/admin/change-lists/download", data={"since_last": "1", "format": "xml"})
    assert response.status_code == 303
    archive = zipfile.ZipFile(io.BytesIO(client.get(response.headers["Location"]).data))
    second = ElementTree.fromstring(archive.read(sorted(archive.namelist())[1]))
    batch, org = second.findtext("BatchHeader/BatchID"), second.findtext("BatchHeader/OrgID")
    assert batch.endswith("02")
    student = next(second.iter("Student"))
    upload = _upload(client, translog(batch, org, [(student.get("requestID"), student.get("sevisID"), True, None)]))
    assert upload.status_code == 303


def test_a_range_too_large_for_one_download_is_refused_with_the_reason(client, dso, two_students, monkeypatch):
    monkeypatch.setattr("portal.services.sevis.batch_files.MAX_RECORDS_PER_FILE", 1)
    monkeypatch.setattr("portal.services.sevis.batch_files.MAX_FILES_PER_DOWNLOAD", 1)
    response = client.post("/admin/change-lists/download", data={"since_last": "1", "format": "xml"})
    assert response.status_code == 422 and "Choose a shorter range" in response.get_data(as_text=True)
