"""The SEVIS round trip (rule 9): what each batch file carried, the transaction log SEVIS returns for it, each
record accepted or rejected with SEVIS's message, and rejections that come back in "since my last download" until
they are resolved."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.models import (
    ChangeListDownload,
    School,
    SevisBatchRecord,
    SevisBatchRecordEvent,
    SevisRecordResult,
    SevisTransactionLog,
    Student,
    utcnow,
)
from portal.models.enums import ExportFormat
from portal.services.actors import Actor
from portal.services.errors import Conflict, NotAllowed, NotFound, RuleBroken
from portal.services.events import record_event
from portal.services.sevis.batch_files import BatchRecord, batch_id, batch_part
from portal.services.sevis.transaction_log import FIELD, LogRecord, ParsedLog, parse_transaction_log
from portal.web import format_eastern

_BATCH_ID = re.compile(r"OPT(\d{9})([0-9A-Z]{2})")


def record_batch_contents(session: Session, download: ChangeListDownload, contents: Iterable[BatchRecord]) -> None:
    """Keep which records (and their events) each file of an XML download holds, to match SEVIS's log against."""
    for item in contents:
        record = SevisBatchRecord(
            download_id=download.id, part=item.part, request_id=item.request_id, student_id=item.student_id
        )
        session.add(record)
        session.flush()
        session.add_all(SevisBatchRecordEvent(record_id=record.id, event_id=event_id) for event_id in item.event_ids)
    session.flush()


def _batch_download(session: Session, school: School, parsed: ParsedLog) -> tuple[ChangeListDownload, int]:
    """The school's XML download (and file number) the log's BatchID names; refuses anyone else's."""
    match = _BATCH_ID.fullmatch(parsed.batch_id)
    download = session.get(ChangeListDownload, int(match.group(1))) if match else None
    if download is None or download.school_id != school.id or download.format is not ExportFormat.XML:
        raise RuleBroken(
            f"The log is for batch {parsed.batch_id or '(none)'}, which is not a SEVIS batch file your "
            "school downloaded from this portal. Upload the log of one of your batch files.",
            field=FIELD,
        )
    return download, batch_part(match.group(2))


def apply_transaction_log(session: Session, actor: Actor, *, data: bytes, filename: str = "") -> SevisTransactionLog:
    """Match SEVIS's log to the batch file it answers and mark each record accepted or rejected (an event on each
    student); refuses the whole log, changing nothing, when it is another school's, names a record the batch did not
    hold, or was uploaded already."""
    if not actor.is_school_official or actor.school_id is None:
        raise NotAllowed("Only school officials upload SEVIS transaction logs.")
    school = session.get(School, actor.school_id)
    parsed = parse_transaction_log(data)
    if parsed.org_id != school.code:
        raise RuleBroken(
            f"The log is for school {parsed.org_id}, not yours ({school.code}). Upload a log of your school's batch.",
            field=FIELD,
        )
    download, part = _batch_download(session, school, parsed)
    name = batch_id(download.id, part)
    if not parsed.records:
        raise RuleBroken(
            f"SEVIS has not processed batch {name} yet: the log has no record results. "
            "Upload the log again once SEVIS has processed the batch.",
            field=FIELD,
        )
    records = {
        record.request_id: record
        for record in session.scalars(
            select(SevisBatchRecord)
            .where(SevisBatchRecord.download_id == download.id, SevisBatchRecord.part == part)
            .options(joinedload(SevisBatchRecord.student))
        )
    }
    if not records:
        raise RuleBroken(
            f"The portal did not keep what batch {name} contained (it was downloaded before the portal "
            "kept batch contents), so its log cannot be matched. Enter the results in SEVIS.",
            field=FIELD,
        )
    seen: set[str] = set()
    unknown = []
    for item in parsed.records:
        record = records.get(item.request_id)
        if item.request_id in seen or record is None or (item.sevis_id and item.sevis_id != record.student.sevis_id):
            unknown.append(f"{item.request_id} ({item.sevis_id})" if item.sevis_id else item.request_id)
        seen.add(item.request_id)
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        raise RuleBroken(
            f"The log names records that batch {name} did not contain: {shown}. Nothing was changed; "
            "check that this is the log SEVIS returned for that batch.",
            field=FIELD,
        )
    earlier = session.scalar(
        select(SevisTransactionLog)
        .join(SevisRecordResult, SevisRecordResult.log_id == SevisTransactionLog.id)
        .where(SevisRecordResult.record_id.in_([records[i.request_id].id for i in parsed.records]))
        .limit(1)
    )
    if earlier is not None:
        raise Conflict(
            f"The results of batch {name} were already uploaded ({format_eastern(earlier.uploaded_at)}, "
            f"by {earlier.uploaded_by_label}). Nothing was changed.",
            field=FIELD,
        )
    log = SevisTransactionLog(
        school_id=school.id,
        download_id=download.id,
        part=part,
        batch_id=name,
        filename=(filename or "")[:200],
        uploaded_by_user_id=actor.user_id,
        uploaded_by_label=actor.label[:200],
    )
    session.add(log)
    session.flush()
    for item in parsed.records:
        _record_result(session, actor, log, records[item.request_id], item)
    session.flush()
    return log


def _record_result(
    session: Session, actor: Actor, log: SevisTransactionLog, record: SevisBatchRecord, item: LogRecord
) -> SevisRecordResult:
    result = SevisRecordResult(
        log_id=log.id,
        record_id=record.id,
        school_id=log.school_id,
        student_id=record.student_id,
        accepted=item.accepted,
        error_code=item.error_code,
        message=item.message,
        processed_at=item.processed_at,
    )
    session.add(result)
    resolved: list[str] = []
    if item.accepted:
        log.accepted_count += 1
        resolved = _resolve_by_acceptance(session, log, record)
    else:
        log.rejected_count += 1
    after = {"batch": log.batch_id, "reference": record.request_id, "code": item.error_code, "message": item.message}
    if resolved:
        after["resolves"] = resolved
    record_event(
        session,
        actor,
        "sevis.record_accepted" if item.accepted else "sevis.record_rejected",
        student=record.student,
        subject=f"sevis_batch:{log.batch_id}",
        after=after,
    )
    return result


def _resolve_by_acceptance(session: Session, log: SevisTransactionLog, record: SevisBatchRecord) -> list[str]:
    """Open rejections whose changes this accepted record carried again are resolved; their references."""
    carried = select(SevisBatchRecordEvent.event_id).where(SevisBatchRecordEvent.record_id == record.id)
    rejected = (
        session.scalars(
            select(SevisRecordResult)
            .join(SevisBatchRecordEvent, SevisBatchRecordEvent.record_id == SevisRecordResult.record_id)
            .where(
                SevisRecordResult.school_id == log.school_id,
                SevisRecordResult.accepted.is_(False),
                SevisRecordResult.resolved_at.is_(None),
                SevisRecordResult.record_id != record.id,
                SevisBatchRecordEvent.event_id.in_(carried),
            )
            .order_by(SevisRecordResult.id)
            .options(joinedload(SevisRecordResult.record))
        )
        .unique()
        .all()
    )
    for result in rejected:
        result.resolved_at = utcnow()
        result.resolved_by_log_id = log.id
    return [result.record.request_id for result in rejected]


def resolve_rejection(
    session: Session, result: SevisRecordResult, *, actor: Actor, confirmed: bool
) -> SevisRecordResult:
    """An official marks a rejection resolved (fixed in SEVIS by hand): it stops coming back in change lists; refuses
    without the confirmation, an accepted record and one resolved already."""
    if not actor.is_school_official or actor.school_id != result.school_id:
        raise NotFound("No such SEVIS result at your school.")
    if result.accepted:
        raise RuleBroken("SEVIS accepted this record; there is nothing to resolve.")
    if result.resolved_at is not None:
        raise Conflict("This rejection was already resolved.")
    if not confirmed:
        raise RuleBroken("Tick 'I have dealt with this rejection in SEVIS' to mark it resolved.", field="confirm")
    result.resolved_at = utcnow()
    result.resolved_by_user_id = actor.user_id
    student = session.get(Student, result.student_id)
    record_event(
        session,
        actor,
        "sevis.rejection_resolved",
        student=student,
        subject=f"sevis_batch:{result.log.batch_id}",
        before={"message": result.message},
        after={"batch": result.log.batch_id, "reference": result.record.request_id},
    )
    session.flush()
    return result


# --- Reads -----------------------------------------------------------------------------------------


def open_rejected_event_ids(session: Session, school_id: int) -> list[int]:
    """The events of the school's rejected, unresolved records: "since my last download" sends them again."""
    return list(
        session.scalars(
            select(SevisBatchRecordEvent.event_id)
            .distinct()
            .join(SevisRecordResult, SevisRecordResult.record_id == SevisBatchRecordEvent.record_id)
            .where(
                SevisRecordResult.school_id == school_id,
                SevisRecordResult.accepted.is_(False),
                SevisRecordResult.resolved_at.is_(None),
            )
            .order_by(SevisBatchRecordEvent.event_id)
        )
    )


@dataclass(frozen=True)
class RejectedRow:
    result: SevisRecordResult
    sevis_id: str
    student: str


@dataclass(frozen=True)
class LogSummary:
    log: SevisTransactionLog
    rejected: list[RejectedRow]


def recent_logs(session: Session, school_id: int, limit: int = 10) -> list[LogSummary]:
    """The school's latest uploaded logs, newest first, each with its rejected records (student, message)."""
    logs = list(
        session.scalars(
            select(SevisTransactionLog)
            .where(SevisTransactionLog.school_id == school_id)
            .order_by(SevisTransactionLog.uploaded_at.desc(), SevisTransactionLog.id.desc())
            .limit(limit)
        )
    )
    rows: dict[int, list[RejectedRow]] = {log.id: [] for log in logs}
    if logs:
        statement = (
            select(SevisRecordResult, Student.sevis_id, Student.given_name, Student.surname)
            .join(Student, Student.id == SevisRecordResult.student_id)
            .where(SevisRecordResult.log_id.in_(list(rows)), SevisRecordResult.accepted.is_(False))
            .options(joinedload(SevisRecordResult.record), joinedload(SevisRecordResult.log))
            .order_by(Student.surname, Student.given_name, SevisRecordResult.id)
        )
        for result, sevis_id, given_name, surname in session.execute(statement):
            rows[result.log_id].append(RejectedRow(result, sevis_id, f"{given_name or ''} {surname or ''}".strip()))
    return [LogSummary(log, rows[log.id]) for log in logs]


def student_results(session: Session, student_id: int, limit: int = 10) -> list[SevisRecordResult]:
    """The student's latest SEVIS results, newest first: what SEVIS said about the changes sent for them."""
    return list(
        session.scalars(
            select(SevisRecordResult)
            .join(SevisTransactionLog, SevisTransactionLog.id == SevisRecordResult.log_id)
            .where(SevisRecordResult.student_id == student_id)
            .options(joinedload(SevisRecordResult.log), joinedload(SevisRecordResult.record))
            .order_by(SevisTransactionLog.uploaded_at.desc(), SevisRecordResult.id.desc())
            .limit(limit)
        )
    )
