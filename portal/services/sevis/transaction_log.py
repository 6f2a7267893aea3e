"""SevisTransLog.xsd TransactionLog documents: read when an official uploads the log SEVIS returned for a batch file,
and written as the data feed's answer to a batch."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from portal.models import utcnow
from portal.services.clock import EASTERN
from portal.services.errors import InvalidValue
from portal.services.sevis.schemas import translog_schema
from portal.services.uploads import read_limited

MAX_LOG_BYTES = 2 * 1024 * 1024  # a log of 250 records is a few hundred kilobytes
FIELD = "log"


@dataclass(frozen=True)
class LogRecord:
    """One Record of a transaction log: SEVIS's answer for one Student element of the batch."""

    request_id: str
    sevis_id: str | None
    accepted: bool
    error_code: str | None
    message: str | None
    processed_at: datetime | None


@dataclass(frozen=True)
class ParsedLog:
    batch_id: str
    org_id: str
    records: list[LogRecord]


def _text(element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text is not None and found.text.strip() else None


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    # SEVIS writes its times without a zone, in its own (US Eastern) time.
    return (when if when.tzinfo else when.replace(tzinfo=EASTERN)).astimezone(UTC)


def read_log(stream, filename: str | None) -> bytes:
    """The uploaded file's bytes; refuses an empty one, one over the limit (413) and one that is not XML by name."""
    name = (filename or "").strip()
    if name and not name.lower().endswith(".xml"):
        raise InvalidValue("Upload the transaction log as SEVIS returned it: an XML file (.xml).", field=FIELD)
    return read_limited(stream, MAX_LOG_BYTES, label="transaction log", field=FIELD)


def parse_transaction_log(data: bytes) -> ParsedLog:
    """Read a SevisTransLog.xsd TransactionLog; refuses what is not XML, is malformed, defines entities or does not
    match the schema."""
    # inside: xmlschema takes most of a second to import, and only an uploaded log needs it
    import xmlschema

    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise InvalidValue(
            "This is not an XML file. Upload the transaction log SEVIS returned for the batch.", field=FIELD
        )
    try:
        resource = xmlschema.XMLResource(data, defuse="always", allow="none")
    except Exception as error:  # noqa: BLE001  (ParseError, defused entities, encoding errors)
        raise InvalidValue(f"The transaction log is not well-formed XML: {error}"[:400], field=FIELD) from None
    error = next(translog_schema().iter_errors(resource), None)
    if error is not None:
        where = f" at {error.path}" if getattr(error, "path", None) else ""
        raise InvalidValue(
            f"The file does not match SEVIS's transaction log schema (SevisTransLog.xsd){where}: "
            f"{error.reason or error.message}"[:600],
            field=FIELD,
        )
    root = resource.root
    records = []
    for element in root.findall("BatchDetail/Process/Record"):
        result = element.find("Result")
        records.append(
            LogRecord(
                request_id=(element.get("requestID") or "").strip(),
                sevis_id=element.get("sevisID"),
                accepted=(result.get("status") or "").strip().lower() in ("1", "true", "y"),
                error_code=_text(result, "ErrorCode"),
                message=_text(result, "ErrorMessage"),
                processed_at=_when(_text(element, "ProcessDate")),
            )
        )
    return ParsedLog(_text(root, "BatchHeader/BatchID") or "", _text(root, "BatchHeader/OrgID") or "", records)


def transaction_log_xml(result: dict, *, org_id: str) -> str:
    """The feed batch's per-record results as a SevisTransLog.xsd TransactionLog document."""

    now = utcnow().replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S")
    counts = result["counts"]
    failures = counts.get("rejected", 0)
    success = counts.get("applied", 0) + counts.get("queued", 0)
    records = []
    for record in result["records"]:
        ok = record["status"] != "rejected"
        message = record.get("reason") or ("Queued during maintenance" if record["status"] == "queued" else "Applied")
        if record.get("field"):
            message = f"{record['field']}: {message}"
        sevis = (
            f" sevisID={quoteattr(record['sevis_id'])}"
            if record.get("sevis_id") and re.fullmatch(r"N\d{10}", record["sevis_id"])
            else ""
        )
        request_id = re.sub(r"[:/\\\s]", "", str(record.get("request_id") or "")) or str(record["index"])
        records.append(
            f"<Record requestID={quoteattr(request_id[:20])}{sevis}><ProcessDate>{now}</ProcessDate>"
            f"<Result status={quoteattr('1' if ok else '0')}><ErrorCode>{'S1000' if ok else 'S9999'}</ErrorCode>"
            f"<ErrorMessage>{escape(message[:500])}</ErrorMessage></Result></Record>"
        )
    batch_id = str(result["batch_id"])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<TransactionLog><BatchHeader><BatchID>{escape(batch_id)}</BatchID><OrgID>{escape(org_id)}</OrgID></BatchHeader>"
        f"<BatchDetail status={quoteattr('1' if failures == 0 else '0')}>"
        f'<Process resultCode={quoteattr("S1000" if failures == 0 else "S9999")} dateTimeStamp="{now}">'
        f"<RecordCount><Success>{success}</Success><Failure>{failures}</Failure><Total>{success + failures}</Total></RecordCount>"
        + "".join(records)
        + "</Process></BatchDetail></TransactionLog>"
    )
