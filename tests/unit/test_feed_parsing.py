"""Reading feed files: a file that cannot be read or breaks the schema is refused whole, with the reason."""

import pytest
from sqlalchemy import func, select

from portal.models import InboundFeedItem
from portal.services.feed.parsing import FeedRefused, parse_batch
from portal.services.feed.receiving import receive_batch
from tests.support import sevis_xml


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xfe{\x00", "not UTF-8"),
        (b'{"batch_id": "B1"}\n{not json', "Line 2 is not valid JSON"),
        (b'{"action": "X"}', "first line must be the header"),
        (b'{"batch_id": "B1"}\n{"action": "DropStudent"}', "unknown action"),
        (b"<SEVISBatchCreateUpdateStudent><unclosed>", "malformed"),
        (
            b'<?xml version="1.0"?><SEVISBatchCreateUpdateStudent userID="FEEDUSER01"><BatchHeader><BatchID>SHORT</BatchID>'
            b"<OrgID>TST214F00000001</OrgID></BatchHeader></SEVISBatchCreateUpdateStudent>",
            "BatchID",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><SEVISBatchCreateUpdateStudent/>',
            "",
        ),
    ],
)
def test_a_file_that_cannot_be_read_or_breaks_the_schema_is_refused_whole_with_the_reason(data, reason):
    with pytest.raises(FeedRefused) as refused:
        parse_batch(data)
    assert reason in refused.value.reason


def test_schema_invalid_record_refuses_the_whole_file_and_applies_nothing(factory, db_session):
    school = factory.school()
    student = factory.student(school=school)
    bad_zip = sevis_xml.employer_xml().replace("<PostalCode>02110</PostalCode>", "<PostalCode>ABCDE</PostalCode>")
    updates = sevis_xml.email_update(student.sevis_id, "1", "ok@example.edu") + sevis_xml.opt_add(
        student.sevis_id, "2", employers=bad_zip
    )
    with pytest.raises(FeedRefused) as refused:
        receive_batch(db_session, school, parse_batch(sevis_xml.batch(school.code, "20260319000003", updates)))
    assert "PostalCode" in refused.value.reason
    assert db_session.scalar(select(func.count()).select_from(InboundFeedItem)) == 0
