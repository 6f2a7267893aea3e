"""Small real files for upload tests: a PDF (optionally with JavaScript), a PNG, a JPEG (made with Pillow)."""

from __future__ import annotations

import io
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
