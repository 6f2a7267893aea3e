"""SEVIS results: only a school's officials upload a transaction log, and a school with no rejections sends nothing again.

The whole round trip (download, log, accepted and rejected records, resolving) is in
tests/web/dso_admin/test_sevis_round_trip.py."""

import pytest

from portal.models.enums import Role
from portal.services.actors import Actor
from portal.services.errors import NotAllowed
from portal.services.sevis.results import apply_transaction_log, open_rejected_event_ids, recent_logs


@pytest.mark.parametrize("role", [Role.STUDENT, Role.SUPPORT, Role.OPERATOR])
def test_only_school_officials_upload_transaction_logs(factory, db_session, role):
    school = factory.school()
    if role is Role.STUDENT:
        user = factory.user(role=role, student=factory.student(school=school))
    else:
        user = factory.user(role=role)
    with pytest.raises(NotAllowed, match="Only school officials"):
        apply_transaction_log(db_session, Actor.for_user(user), data=b"<TransactionLog/>")


def test_a_school_without_logs_has_no_rejections_to_send_again(factory, db_session):
    school = factory.school()
    assert open_rejected_event_ids(db_session, school.id) == []
    assert recent_logs(db_session, school.id) == []
