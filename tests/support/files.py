"""Small real files for upload tests: PDFs (clean, with JavaScript, with it hidden in object streams), PNG and JPEG
images made with Pillow, and a PNG/HTML polyglot."""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zlib

from PIL import Image


def image(kind: str = "PNG", *, size=(4, 3), color=(200, 30, 30), **save) -> bytes:
    """A small real image (Pillow); ``save`` passes options such as ``exif`` or ``pnginfo`` to the encoder."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=kind, **save)
    return out.getvalue()


PNG = image("PNG")
JPEG = image("JPEG")


def pdf(*, javascript: str | None = None, compressed_js: bool = False, padding: int = 0) -> bytes:
    """A minimal PDF; ``javascript`` adds an OpenAction script (plain or inside a Flate stream)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    if javascript and not compressed_js:
        objects[0] = (
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (" + javascript.encode() + b") >> >>"
        )
    if javascript and compressed_js:
        body = zlib.compress(b"<< /S /JavaScript /JS (" + javascript.encode() + b") >>")
        objects.append(
            b"<< /Type /ObjStm /Filter /FlateDecode /Length %d >>\nstream\n" % len(body) + body + b"\nendstream"
        )
    out = b"%PDF-1.7\n"
    for number, obj in enumerate(objects, start=1):
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    out += b"%" + b"x" * padding + b"\n" if padding else b""
    return out + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


HIDDEN_ACTION = [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>", b"<< /S /JavaScript /JS (app.alert(1)) >>"]


def pdf_with_object_stream(encode, filters: bytes, *, streams_before=()) -> bytes:
    """The catalog and its JavaScript OpenAction (objects 1 and 3) inside object stream 4, encoded by ``encode`` and
    declared with ``filters``, found through an xref stream; ``streams_before`` are raw Flate streams placed first."""
    body, offsets = b"", []
    for obj in HIDDEN_ACTION:
        offsets.append(len(body))
        body += obj + b"\n"
    header = b"1 %d 3 %d " % tuple(offsets)
    content = encode(header + body)
    out, rows = b"%PDF-1.7\n", {0: (0, 0, 65535), 1: (2, 4, 0), 3: (2, 4, 1)}
    rows[2] = (1, len(out), 0)
    out += b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    numbers = list(range(6, 6 + len(streams_before)))
    for number, raw in zip(numbers, streams_before, strict=True):
        rows[number] = (1, len(out), 0)
        out += b"%d 0 obj\n<< /Filter /FlateDecode /Length %d >>\nstream\n" % (number, len(raw)) + raw
        out += b"\nendstream\nendobj\n"
    rows[4] = (1, len(out), 0)
    out += (
        b"4 0 obj\n<< /Type /ObjStm /N 2 /First %d /Filter %s /Length %d >>\nstream\n"
        % (len(header), filters, len(content))
        + content
        + b"\nendstream\nendobj\n"
    )
    rows[5] = (1, len(out), 0)
    size = max(rows) + 1
    xref = b"".join(struct.pack(">BIH", *rows.get(number, (0, 0, 0))) for number in range(size))
    start = len(out)
    out += b"5 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (size, len(xref))
    return out + xref + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start


def _a85(data: bytes) -> bytes:
    return base64.a85encode(data) + b"~>"


FOUR_BYPASSES = {
    "ascii-hex": pdf_with_object_stream(lambda data: binascii.hexlify(data) + b">", b"/ASCIIHexDecode"),
    "ascii-85": pdf_with_object_stream(_a85, b"/ASCII85Decode"),
    "ascii-85-then-flate": pdf_with_object_stream(
        lambda data: _a85(zlib.compress(data)), b"[/ASCII85Decode /FlateDecode]"
    ),
    "after-60-mb-of-zeros": pdf_with_object_stream(
        zlib.compress, b"/FlateDecode", streams_before=[zlib.compress(b"\0" * 60 * 1024 * 1024, 9)]
    ),
}

# A PNG signature followed by HTML: what a browser sniffing the bytes would run.
POLYGLOT = b"\x89PNG\r\n\x1a\n<html><script>alert(document.cookie)</script></html>"
