"""Checking uploaded files by their content and storing them outside the web root under random names.

PDFs are opened with qpdf (pikepdf): every object is walked, those inside object streams too, and every stream is
decoded with all its filters under one decompression budget. Images are decoded and re-encoded with Pillow, so
only the pixels are stored (no metadata, nothing appended)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import warnings
from pathlib import Path

import pikepdf
from pikepdf import settings as pdf_settings
from PIL import Image, ImageCms, ImageOps

from portal.services.errors import DomainError, InvalidValue

PDF_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_BYTES = 5 * 1024 * 1024
# Everything the streams of one PDF may decode to, together; a scanned form is well under it, a bomb is not.
PDF_DECODED_MAX_BYTES = 100 * 1024 * 1024
# A 48-megapixel phone photo is the largest honest image we expect; more is refused before it is decoded.
IMAGE_MAX_PIXELS = 50_000_000

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}

# qpdf's own per-stream limits (process-wide; nothing else in the portal opens PDFs), so no single stream can
# decode past the budget before qpdf stops it.
pdf_settings.set_qpdf_limits(
    flate_max_memory=PDF_DECODED_MAX_BYTES,
    run_length_max_memory=PDF_DECODED_MAX_BYTES,
    png_max_memory=PDF_DECODED_MAX_BYTES,
    tiff_max_memory=PDF_DECODED_MAX_BYTES,
)
Image.MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS

# What a person is told for each kind of active content.
_CALLS_JAVASCRIPT = "JavaScript"
_PDF_ACTIVE_KEYS = {
    "/JS": _CALLS_JAVASCRIPT,
    "/JavaScript": _CALLS_JAVASCRIPT,
    "/OpenAction": "an action that runs when the file opens",
    "/AA": "an action that runs when a page or field is used",
    "/EmbeddedFiles": "an attached file",
    "/EF": "an attached file",
    "/RichMedia": "interactive media",
    "/RichMediaContent": "interactive media",
    "/XFA": "an XFA form",
}
_PDF_ACTIONS = {
    "/JavaScript": _CALLS_JAVASCRIPT,
    "/Launch": "an action that starts a program",
    "/URI": "a link to a website",
    "/SubmitForm": "a form that sends its data",
    "/ImportData": "a form that loads data",
    "/GoToR": "a link to another file",
    "/GoToE": "a link to an attached file",
    "/RichMediaExecute": "interactive media",
}
_PDF_ACTIVE_TYPES = {"/EmbeddedFile": "an attached file", "/RichMedia": "interactive media"}
_PDF_FINDING_ORDER = [_CALLS_JAVASCRIPT, *dict.fromkeys([*_PDF_ACTIVE_KEYS.values(), *_PDF_ACTIONS.values()])]
# The same names in raw PDF syntax (#xx escapes decoded first): searched in decoded object streams qpdf could not
# parse and in the file outside its streams, in case another reader sees objects qpdf does not.
_PDF_ACTIVE_NAMES = re.compile(
    rb"/(JavaScript|JS|Launch|OpenAction|AA|RichMedia|EmbeddedFiles?|XFA|URI|SubmitForm|ImportData|GoToR|GoToE)\b"
)
_PDF_RAW_NAME_FINDINGS = {b"JS": _CALLS_JAVASCRIPT, b"EmbeddedFile": "an attached file"}
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM_BODY = re.compile(rb">>\s*stream\r?\n.*?endstream", re.DOTALL)
# Filters that only images use; qpdf leaves them encoded and so do we (they are pixels, never PDF objects).
_PDF_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"}
# LZW can expand one input byte to thousands and qpdf has no limit for it; only a small LZW stream is decoded.
_PDF_LZW_FILTERS = {"/LZWDecode", "/LZW"}
_PDF_LZW_WORST_RATIO = 4 * 2600

PDF_NOT_READABLE = (
    "We could not read this PDF: it is damaged or uses a kind of compression we cannot check. "
    "Print it to a new PDF (File, Print, Save as PDF) and upload that."
)
PDF_PROTECTED = (
    "This PDF is protected with a password or encrypted. Remove the protection (print it to a new PDF: "
    "File, Print, Save as PDF) and upload that."
)
PDF_TOO_MUCH_DATA = (
    "This PDF holds far more data than a form needs once uncompressed. Print it to a new PDF "
    "(File, Print, Save as PDF) and upload that."
)


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


def looks_like_pdf(data: bytes) -> bool:
    """Whether the bytes start like a PDF (the first, cheap look; ``check_pdf`` judges the rest)."""
    return data.lstrip(b"\x00\t\r\n ")[:5] == b"%PDF-"


def _raw_name_findings(syntax: bytes) -> set[str]:
    decoded = _PDF_NAME_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), syntax)
    found = set()
    for match in _PDF_ACTIVE_NAMES.finditer(decoded):
        name = match.group(1)
        slash_name = "/" + name.decode()
        found.add(_PDF_RAW_NAME_FINDINGS.get(name) or _PDF_ACTIVE_KEYS.get(slash_name) or _PDF_ACTIONS[slash_name])
    return found


def _is_direct_container(value) -> bool:
    return isinstance(value, pikepdf.Array | pikepdf.Dictionary) and not value.is_indirect


def _object_findings(obj) -> set[str]:
    """Active content in one indirect object and the direct objects inside it (indirect ones are walked apart)."""
    found: set[str] = set()
    pending = [obj]
    while pending:
        item = pending.pop()
        if isinstance(item, pikepdf.Array):
            pending.extend(child for child in item if _is_direct_container(child))
        elif isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
            for key in item.keys():
                if key in _PDF_ACTIVE_KEYS:
                    found.add(_PDF_ACTIVE_KEYS[key])
                value = item.get(key)
                if key == "/S" and isinstance(value, pikepdf.Name) and str(value) in _PDF_ACTIONS:
                    found.add(_PDF_ACTIONS[str(value)])
                if key in ("/Type", "/Subtype") and isinstance(value, pikepdf.Name) and str(value) in _PDF_ACTIVE_TYPES:
                    found.add(_PDF_ACTIVE_TYPES[str(value)])
                if _is_direct_container(value):
                    pending.append(value)
    return found


def _filters(stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    return [str(name) for name in value] if isinstance(value, pikepdf.Array) else [str(value)]


def _decoded_stream(stream, budget: int, *, field: str) -> bytes | None:
    """The stream decoded with all its filters, or None for image data qpdf leaves encoded; refuses one that cannot
    be decoded or would pass the remaining budget."""
    filters = _filters(stream)
    if _PDF_IMAGE_FILTERS.intersection(filters):
        if stream.get("/Type") == pikepdf.Name.ObjStm:  # objects hidden behind an image filter
            raise InvalidValue(PDF_NOT_READABLE, field=field)
        return None
    if _PDF_LZW_FILTERS.intersection(filters) and len(stream.read_raw_bytes()) * _PDF_LZW_WORST_RATIO > budget:
        raise InvalidValue(PDF_NOT_READABLE, field=field)
    try:
        return stream.read_bytes(decode_level=pikepdf.StreamDecodeLevel.specialized)
    except pikepdf.DataDecodingError as error:
        if "memory limit" in str(error):
            raise InvalidValue(PDF_TOO_MUCH_DATA, field=field) from error
        raise InvalidValue(PDF_NOT_READABLE, field=field) from error
    except Exception as error:  # qpdf raises several types for a stream it cannot read; each means "unreadable"
        raise InvalidValue(PDF_NOT_READABLE, field=field) from error


def check_pdf(data: bytes, *, field: str = "file", label: str = "Form I-983") -> None:
    """Refuses anything that is not a readable PDF (encrypted, damaged, a decompression bomb) and a PDF that carries
    JavaScript, actions (open, page/field, launch, web link, form submit), attached files or interactive media."""
    if not looks_like_pdf(data) or b"%%EOF" not in data[-2048:]:
        raise InvalidValue(f"This file is not a PDF. Save the {label} as a PDF and upload that.", field=field)
    try:
        document = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as error:
        raise InvalidValue(PDF_PROTECTED, field=field) from error
    except Exception as error:  # qpdf raises several types for a file it cannot parse; each means "unreadable"
        raise InvalidValue(PDF_NOT_READABLE, field=field) from error
    with document:
        if document.is_encrypted:
            raise InvalidValue(PDF_PROTECTED, field=field)
        found = _raw_name_findings(_PDF_STREAM_BODY.sub(b">> stream endstream", data))
        budget = PDF_DECODED_MAX_BYTES
        try:
            objects = list(document.objects)
        except Exception as error:  # an object qpdf cannot parse
            raise InvalidValue(PDF_NOT_READABLE, field=field) from error
        for obj in objects:
            found |= _object_findings(obj)
            if not isinstance(obj, pikepdf.Stream):
                continue
            decoded = _decoded_stream(obj, budget, field=field)
            if decoded is None:
                continue
            budget -= len(decoded)
            if budget < 0:
                raise InvalidValue(PDF_TOO_MUCH_DATA, field=field)
            if obj.get("/Type") == pikepdf.Name.ObjStm:  # in case qpdf could not parse all of its objects
                found |= _raw_name_findings(decoded)
    if found:
        listed = ", ".join(sorted(found, key=_PDF_FINDING_ORDER.index))
        raise InvalidValue(
            f"This PDF contains active content we do not accept: {listed}. "
            "Print it to a new PDF (File, Print, Save as PDF) and upload that.",
            field=field,
        )


def _without_metadata(image: Image.Image) -> Image.Image:
    """The pixels only, turned upright and into sRGB; EXIF, text chunks, ICC profile and the rest are dropped."""
    image = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA"):
        try:
            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile("sRGB"), outputMode=image.mode
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def reencoded_image(
    data: bytes, *, field: str = "screenshots", not_an_image: str = "A screenshot must be a PNG or JPEG image."
) -> tuple[bytes, str]:
    """(re-encoded bytes, content type) of a PNG or JPEG; refuses anything else, a damaged or truncated image, and
    one over the pixel limit. Only the decoded pixels are kept, so metadata and anything hidden in the file go."""
    if not (data.startswith(PNG_SIGNATURE) or data.startswith(JPEG_SIGNATURE)):
        raise InvalidValue(not_an_image, field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data), formats=list(IMAGE_TYPES)) as image:
                kind = image.format if image.format in IMAGE_TYPES else "JPEG"  # MPO: a JPEG with extra frames
                image.load()
                clean = _without_metadata(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidValue(
            f"This image has more than {IMAGE_MAX_PIXELS // 1_000_000} million pixels. "
            "Upload a smaller screenshot or photo.",
            field=field,
        ) from error
    except Exception as error:  # Pillow raises many types for a broken file; each means "damaged"
        raise InvalidValue(
            "This image is damaged or incomplete. Take the screenshot or photo again and upload the new file.",
            field=field,
        ) from error
    if kind == "JPEG" and clean.mode not in ("L", "RGB"):
        clean = clean.convert("RGB")
    if kind == "PNG" and clean.mode not in ("1", "L", "LA", "RGB", "RGBA", "I", "I;16"):
        clean = clean.convert("RGBA")
    out = io.BytesIO()
    clean.save(out, format=kind, **({"quality": 90} if kind == "JPEG" else {}))
    return out.getvalue(), IMAGE_TYPES[kind]


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
