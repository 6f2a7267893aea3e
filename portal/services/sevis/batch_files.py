"""SEVIS batch files: a unique BatchID for each, at most 250 students a file, one file or several in a zip."""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from portal.models import School

MAX_RECORDS_PER_FILE = 250  # SEVIS accepts at most 250 students per batch file
CHUNK = 64 * 1024


@dataclass(frozen=True)
class BatchRecord:
    """One Student element of a batch: which file it goes in, its requestID, whose it is and the events it carries."""

    part: int
    request_id: str
    student_id: int
    event_ids: tuple[int, ...]


_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_FILES_PER_DOWNLOAD = 36**2 - 1  # the file number has two base-36 characters in the 14 of a BatchID


def batch_id(download_id: int, part: int) -> str:
    """A unique 14-character BatchID: OPT, the download number (nine digits), the file number (two base-36
    characters, so a download of up to 1,295 files never repeats one)."""
    if not 1 <= part <= MAX_FILES_PER_DOWNLOAD:
        raise ValueError(f"file number {part} does not fit a BatchID")
    return f"OPT{download_id % 10**9:09d}{_BASE36[part // 36]}{_BASE36[part % 36]}"


def batch_part(code: str) -> int:
    """The file number of a BatchID's last two characters (the inverse of ``batch_id``'s)."""
    return int(code, 36)


def _file_head(school: School, user_id: str, download_id: int, part: int) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<SEVISBatchCreateUpdateStudent userID={quoteattr(user_id)}>"
        f"<BatchHeader><BatchID>{escape(batch_id(download_id, part))}</BatchID>"
        f"<OrgID>{escape(str(school.code))}</OrgID></BatchHeader>"
        "<UpdateStudent>"
    )


_FILE_TAIL = "</UpdateStudent></SEVISBatchCreateUpdateStudent>\n"


def xml_files(
    records: Iterator[str], *, school: School, user_id: str, download_id: int
) -> Iterator[tuple[int, Iterator[str]]]:
    """Split records into batch files of at most 250 students each; yields (file number, text chunks)."""
    records = iter(records)
    part = 0
    pending = next(records, None)
    if pending is None:
        return
    while pending is not None:
        part += 1

        def one_file(first: str, part: int = part) -> Iterator[str]:
            nonlocal pending
            yield _file_head(school, user_id, download_id, part)
            yield first
            count = 1
            pending = None
            for record in records:
                if count == MAX_RECORDS_PER_FILE:
                    pending = record
                    break
                yield record
                count += 1
            yield _FILE_TAIL

        yield part, one_file(pending)


def xml_single(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[bytes]:
    """One batch file (for at most 250 records); an empty UpdateStudent is not allowed, so none means no file."""
    for _, chunks in xml_files(records, school=school, user_id=user_id, download_id=download_id):
        for chunk in chunks:
            yield chunk.encode("utf-8")


def xml_zip(records: Iterator[str], *, school: School, user_id: str, download_id: int) -> Iterator[bytes]:
    """Several batch files in a zip, written to a temporary file entry by entry and then streamed."""
    handle, path = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part, chunks in xml_files(records, school=school, user_id=user_id, download_id=download_id):
                with archive.open(f"sevis-batch-{part:03d}.xml", "w") as entry:
                    for chunk in chunks:
                        entry.write(chunk.encode("utf-8"))
        with open(path, "rb") as file:
            while chunk := file.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)
