"""SevisTransLog.xsd documents: the feed's answer validates against SEVIS's schema."""

import xmlschema

from portal.services.feed.parsing import parse_batch
from portal.services.feed.receiving import receive_batch
from portal.services.sevis.schemas import translog_schema
from portal.services.sevis.transaction_log import transaction_log_xml
from tests.support.feed_batches import jsonl


def test_transaction_log_is_valid_against_sevis_trans_log_xsd(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    data = jsonl(
        "B1",
        {"action": "PersonalInfo.Email", "sevis_id": student.sevis_id, "request_id": "7", "data": {"email": "a@b.edu"}},
        {"action": "PersonalInfo.Email", "sevis_id": "N9999999999", "request_id": "8", "data": {"email": "a@b.edu"}},
    )
    _b, result = receive_batch(db_session, school, parse_batch(data))
    log = transaction_log_xml(result, org_id=school.code)
    translog_schema().validate(xmlschema.XMLResource(log.encode()))
    assert "<Success>1</Success><Failure>1</Failure><Total>2</Total>" in log and "N9999999999" in log
