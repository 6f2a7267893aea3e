"""/api/feed/batches: token auth (401), size limit (413), refusals and per-record reasons (422), results in JSON and XML."""

import json
from datetime import timedelta

import pytest
import xmlschema

from portal.models import utcnow
from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.feed.tokens import create_feed_token, revoke_feed_token
from portal.services.maintenance import schedule_window
from portal.services.sevis.schemas import translog_schema
from tests.support import sevis_xml


@pytest.fixture
def token(db_session, school):
    _token, raw = create_feed_token(db_session, school, name="SIS", actor=Actor.system())
    return raw


def _post(client, token, data, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kwargs.pop("headers", {}))
    return client.post("/api/feed/batches", data=data, headers=headers, **kwargs)


def _email_batch(batch_id, sevis_id, email="new@example.edu"):
    lines = [
        {"batch_id": batch_id},
        {"action": "PersonalInfo.Email", "sevis_id": sevis_id, "request_id": "1", "data": {"email": email}},
    ]
    return "\n".join(json.dumps(line) for line in lines).encode()


@pytest.mark.parametrize("auth", [None, "Bearer wrong-token", "Basic abc", "Bearer " + "x" * 5000])
def test_missing_or_wrong_token_is_401(client, auth):
    response = client.post("/api/feed/batches", data=b"{}", headers={"Authorization": auth} if auth else {})
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers


def test_revoked_token_is_401(client, db_session, school):
    token, raw = create_feed_token(db_session, school, name="old", actor=Actor.system())
    revoke_feed_token(db_session, token, actor=Actor.system())
    assert _post(client, raw, b"{}").status_code == 401


def test_batch_over_the_size_limit_is_413(app, client, token, monkeypatch):
    monkeypatch.setitem(app.config, "FEED_MAX_BYTES", 1024)
    response = _post(client, token, b"x" * 4096)
    assert response.status_code == 413 and "split the file" in response.get_json()["reason"]


def test_fifty_megabyte_upload_is_413_not_500(client, token):
    assert _post(client, token, b"x" * (50 * 1024 * 1024)).status_code == 413


def test_all_records_applied_is_200_with_per_record_results(client, factory, school, token):
    student = factory.student(school=school)
    response = _post(client, token, _email_batch("B1", student.sevis_id))
    assert response.status_code == 200
    assert response.get_json()["records"] == [
        {
            "index": 1,
            "action": "PersonalInfo.Email",
            "sevis_id": student.sevis_id,
            "status": "applied",
            "request_id": "1",
        }
    ]


def test_rejected_record_is_422_naming_field_and_reason(client, factory, school, token):
    student = factory.student(school=school)
    response = _post(client, token, _email_batch("B1", student.sevis_id, email="not-an-email"))
    assert response.status_code == 422
    [record] = response.get_json()["records"]
    assert record["status"] == "rejected" and record["field"] == "email" and "email address" in record["reason"]


def test_schema_invalid_xml_is_refused_whole_with_the_schema_reason(client, school, token):
    data = sevis_xml.batch(school.code, "TOO-SHORT", sevis_xml.email_update("N0000000001", "1", "a@b.edu"))
    response = _post(client, token, data, content_type="application/xml")
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "refused" and "BatchID" in body["reason"] and body["applied"] == 0


def test_xml_answer_is_a_valid_sevis_transaction_log(client, factory, school, token):
    student = factory.student(school=school)
    data = sevis_xml.batch(
        school.code, "20260319000009", sevis_xml.email_update(student.sevis_id, "1", "x@example.edu")
    )
    response = _post(client, token, data, headers={"Accept": "application/xml"}, content_type="application/xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    translog_schema().validate(xmlschema.XMLResource(response.data))


def test_during_maintenance_the_feed_answers_202_queued(client, db_session, factory, school, token):
    student = factory.student(school=school)
    schedule_window(
        db_session,
        starts_at=utcnow() - timedelta(minutes=1),
        ends_at=utcnow() + timedelta(hours=1),
        message="",
        actor=Actor.system(),
    )
    response = _post(client, token, _email_batch("Q1", student.sevis_id))
    assert response.status_code == 202 and response.get_json()["records"][0]["status"] == "queued"


def test_batch_results_can_be_read_back_but_only_by_the_same_school(client, db_session, factory, school, token):
    student = factory.student(school=school)
    _post(client, token, _email_batch("R1", student.sevis_id))
    response = client.get("/api/feed/batches/R1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["records"][0]["status"] == "applied"
    _other, other_raw = create_feed_token(db_session, factory.school(), name="other", actor=Actor.system())
    assert client.get("/api/feed/batches/R1", headers={"Authorization": f"Bearer {other_raw}"}).status_code == 404


def test_resent_batch_is_a_no_op(client, factory, school, token):
    student = factory.student(school=school)
    first = _post(client, token, _email_batch("D1", student.sevis_id))
    second = _post(client, token, _email_batch("D1", student.sevis_id, email="changed@example.edu"))
    assert second.status_code == 200 and second.get_json()["duplicate"] is True
    assert second.get_json()["records"] == first.get_json()["records"]


def test_feed_import_cli_applies_a_file_and_prints_results(app, db_session, factory, school, tmp_path):
    student = factory.student(school=school)
    path = tmp_path / "batch.jsonl"
    path.write_bytes(_email_batch("CLI1", student.sevis_id, email="cli@example.edu"))
    result = app.test_cli_runner().invoke(args=["feed", "import", str(path), "--school", school.code])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["records"][0]["status"] == "applied"
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<nope")
    result = app.test_cli_runner().invoke(args=["feed", "import", str(bad), "--school", school.code])
    assert result.exit_code != 0 and "Refused, nothing applied" in result.output


def test_a_signed_in_person_without_a_token_is_403(client, factory, sign_in):
    sign_in(factory.user(role=Role.PRINCIPAL_DSO))
    assert client.post("/api/feed/batches", data=b"{}").status_code == 403


def _lines(*lines) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"action": "PersonalInfo.Email", "sevis_id": "{sevis_id}", "request_id": "2", "data": ["x"]}, "data"),
        (
            {"action": "PersonalInfo.Email", "sevis_id": 12345, "request_id": "2", "data": {"email": "a@example.edu"}},
            "sevis_id",
        ),
        (
            {"action": "OPTEmployer.Add", "sevis_id": "{sevis_id}", "request_id": "2", "data": {"employers": {"a": 1}}},
            "employers",
        ),
        (
            {"action": "OPTEmployer.Add", "sevis_id": "{sevis_id}", "request_id": "2", "data": {"employers": ["a"]}},
            "employers.0",
        ),
        (
            {
                "action": "PersonalInfo.Email",
                "sevis_id": "{sevis_id}",
                "request_id": "2",
                "data": {"email": ["a@example.edu"]},
            },
            "email",
        ),
    ],
)
def test_a_record_of_the_wrong_shape_is_rejected_alone_with_its_field(client, factory, school, token, record, field):
    student = factory.student(school=school)
    record = json.loads(json.dumps(record).replace("{sevis_id}", student.sevis_id))
    good = {
        "action": "PersonalInfo.Email",
        "sevis_id": student.sevis_id,
        "request_id": "1",
        "data": {"email": "ok@example.edu"},
    }
    response = _post(client, token, _lines({"batch_id": "B1"}, good, record))
    assert response.status_code == 422
    first, second = response.get_json()["records"]
    assert first["status"] == "applied"
    assert second["status"] == "rejected" and second["field"] == field and "wrong type" in second["reason"]
    assert student.email == "ok@example.edu"


@pytest.mark.parametrize(
    "line",
    [
        '{"action": "PersonalInfo.Email", "sevis_id": "N0000000001", "data": {"email": NaN}}',
        '{"action": "PersonalInfo.Email", "sevis_id": "N0000000001", "data": {"email": -Infinity}}',
        "[" * 100_000,
        '{"a": ' * 50_000 + "1" + "}" * 50_000,
        '{"action": "PersonalInfo.Email", "request_id": ' + "9" * 5000 + "}",
    ],
)
def test_a_malformed_body_is_one_400_before_the_decoder_recurses(client, token, line):
    response = _post(client, token, _lines({"batch_id": "B1"}, line))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "refused" and "Line 2 is not valid JSON" in body["reason"] and body["applied"] == 0


def test_deeply_nested_xml_is_refused_not_500(client, token):
    data = (
        b'<?xml version="1.0"?><SEVISBatchCreateUpdateStudent>'
        + b"<a>" * 100_000
        + b"</a>" * 100_000
        + b"</SEVISBatchCreateUpdateStudent>"
    )
    assert _post(client, token, data, content_type="application/xml").status_code in (400, 422)


def test_a_header_org_id_that_is_not_text_is_refused(client, token):
    response = _post(client, token, _lines({"batch_id": "B1", "org_id": 5}, {"action": "PersonalInfo.Email"}))
    assert response.status_code == 422 and "org_id" in response.get_json()["reason"]
