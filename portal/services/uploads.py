"""Checking uploaded files by their content and storing them outside the web root under random names."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import zlib
from pathlib import Path

from portal.services.errors import DomainError, InvalidValue

PDF_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_BYTES = 5 * 1024 * 1024

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# PDF names that run code or act on open; #xx escapes are decoded before matching.
_PDF_ACTIVE_NAMES = re.compile(rb"/(JavaScript|JS|Launch|OpenAction|AA|RichMedia|EmbeddedFile|XFA)\b")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.DOTALL)


class UploadTooLarge(DomainError):
    """A file over its limit: HTTP 413 with the limit in the message."""

    status_code = 413


def read_limited(stream, limit: int, *, label: str, field: str) -> bytes:
    """Read at most ``limit`` bytes; refuses an empty file and one over the limit (413)."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(
            f"The {label} is larger than {limit // (1024 * 1024)} MB. Upload a smaller file.", field=field
        )
    if not data:
        raise InvalidValue(f"The {label} is empty. Choose the file again.", field=field)
    return data


def _decoded_names(data: bytes) -> bytes:
    return _PDF_NAME_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), data)


def _inflated_streams(data: bytes, budget: int = 50 * 1024 * 1024) -> list[bytes]:
    """Flate-compressed object streams, decompressed (bounded, so a zip bomb costs nothing)."""
    found = []
    for match in _PDF_STREAM.finditer(data):
        decompressor = zlib.decompressobj()
        try:
            chunk = decompressor.decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(chunk)
        found.append(chunk)
        if budget <= 0:
            break
    return found


def check_pdf(data: bytes, *, field: str = "file") -> None:
    """Refuses anything that is not a PDF by content, and a PDF that carries JavaScript or other active content."""
    if not data.lstrip(b"\x00\t\r\n ")[:5] == b"%PDF-" or b"%%EOF" not in data[-2048:]:
        raise InvalidValue("This file is not a PDF. Save the Form I-983 as a PDF and upload that.", field=field)
    for chunk in [data, *_inflated_streams(data)]:
        if _PDF_ACTIVE_NAMES.search(_decoded_names(chunk)):
            raise InvalidValue(
                "This PDF contains JavaScript or other active content, which we do not accept. "
                "Print it to a new PDF (File, Print, Save as PDF) and upload that.", field=field,
            )  # fmt: skip


def image_type(data: bytes, *, field: str = "screenshots") -> str:
    """'image/png' or 'image/jpeg' from the content; refuses anything else."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(JPEG_SIGNATURE):
        return "image/jpeg"
    raise InvalidValue("A screenshot must be a PNG or JPEG image.", field=field)


def store_bytes(upload_dir: str | os.PathLike, data: bytes) -> tuple[str, str]:
    """Write the bytes under a random name in ``upload_dir``; returns (stored name, sha256)."""
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = secrets.token_hex(24)
    path = directory / name
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
        handle.write(data)
    return name, hashlib.sha256(data).hexdigest()


def stored_path(upload_dir: str | os.PathLike, stored_name: str) -> Path:
    """Where a stored file lives; refuses a name that is not one of ours."""
    if not re.fullmatch(r"[0-9a-f]{48}", stored_name or ""):
        raise InvalidValue("Unknown file.")
    return Path(upload_dir) / stored_name


def safe_filename(raw: str | None, default: str) -> str:
    """The uploaded name reduced to letters, digits, dot, dash and underscore (shown and used on download)."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:200]
    return name or default
