"""Small real files for upload tests: a PDF (optionally with JavaScript), a PNG, a JPEG."""

from __future__ import annotations

import zlib

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


def pdf(*, javascript: str | None = None, compressed_js: bool = False, padding: int = 0) -> bytes:
    """A minimal PDF; ``javascript`` adds an OpenAction script (plain or inside a Flate stream)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]  # fmt: skip
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
