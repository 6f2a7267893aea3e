"""The SEVIS schemas the portal ships: each loaded once, and each the one its documents are checked against."""

from portal.services.sevis.schemas import SCHEMA_DIR, batch_schema, translog_schema


def test_each_schema_is_the_shipped_xsd_loaded_once():
    assert batch_schema() is batch_schema() and translog_schema() is translog_schema()
    assert (SCHEMA_DIR / "Create-UpdateStudent.xsd").is_file() and (SCHEMA_DIR / "SevisTransLog.xsd").is_file()
    assert "SEVISBatchCreateUpdateStudent" in batch_schema().elements
    assert "TransactionLog" in translog_schema().elements
