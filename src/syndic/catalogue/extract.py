"""Media types and text: what a file is, and the text valuation and detection can read.

The original bytes are always what is stored as the work; the text extracted here is stored
beside it (its own digest) when the original is not itself text. Each format uses a
well-kept library, imported only when a file of that kind turns up: HTML with selectolax,
PDF with pypdf, DOCX with python-docx, images with Pillow (dimensions, no text).
"""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass, field
from typing import Any

from syndic.members.models import PLAIN_TEXT

HTML = "text/html"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARKDOWN = "text/markdown"

_MAGIC = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"RIFF", "image/webp"),  # checked further below
)
_EXTRA = {".md": MARKDOWN, ".markdown": MARKDOWN, ".txt": PLAIN_TEXT, ".docx": DOCX}


@dataclass(frozen=True)
class Extracted:
    """The media type, the text when the original is not itself text (None when there is
    none to take), metadata found on the way (dimensions), and why there is no text."""

    media_type: str
    text: bytes | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


def sniff(name: str, data: bytes, declared: str | None = None) -> str:
    """The media type: as declared, else from the first bytes, else from the file name."""
    if declared:
        return declared
    for magic, kind in _MAGIC:
        if data.startswith(magic) and (kind != "image/webp" or data[8:12] == b"WEBP"):
            return kind
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in _EXTRA:
        return _EXTRA[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed:
        return PLAIN_TEXT if guessed == "text/plain" else guessed
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return PLAIN_TEXT


def _html(data: bytes) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(data)
    for node in tree.css("script, style, noscript, nav, header, footer"):
        node.decompose()
    body = tree.body or tree.root
    text = body.text(separator="\n") if body is not None else ""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join((page.extract_text() or "").strip() for page in reader.pages).strip()


def _docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs if p.text.strip())


def _image(data: bytes) -> dict[str, Any]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return {"width": im.width, "height": im.height, "image_format": im.format}


_TEXT_OF = {HTML: _html, "application/xhtml+xml": _html, PDF: _pdf, DOCX: _docx}


def extract(name: str, data: bytes, declared: str | None = None) -> Extracted:
    """What ``data`` (named ``name``) is, and its text. A file a library cannot read is still
    a work: it is stored as it is, with a note saying why it has no text."""
    media_type = sniff(name, data, declared)
    base = media_type.split(";", 1)[0].strip()
    try:
        return _extract(media_type, base, data)
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        return Extracted(media_type, None, {}, f"{base}: cannot be read ({first})")


def _extract(media_type: str, base: str, data: bytes) -> Extracted:
    reader = _TEXT_OF.get(base)
    if reader is not None:
        text = reader(data)
        if text.strip():
            return Extracted(media_type, text.encode("utf-8"))
        return Extracted(media_type, None, {}, f"{base}: no text found")
    if base.startswith("image/"):
        return Extracted(media_type, None, _image(data), f"{base}: an image has no text")
    if not base.startswith("text/"):
        return Extracted(media_type, None, {}, f"{base}: no text extractor for this type")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return Extracted(media_type, None, {}, f"{base}: not UTF-8")
    return Extracted(media_type)  # the work is its own text
