"""Small request bodies, form-encoded or JSON, read under a size limit.

Used where a client posts a few fields: the proof-of-work solution at the gate and the
licence-token endpoint. ``Content-Length`` is checked before anything is read, and the
body is counted while it streams, so a lying or absent length cannot make us buffer more
than ``limit`` bytes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

from syndic.errors import InvalidInput, TooLarge

MAX_FIELDS = 50


async def read_body(
    chunks: AsyncIterator[bytes], *, limit: int, content_length: str | None
) -> bytes:
    """The whole body, or ``TooLarge`` once it exceeds ``limit`` bytes (declared or sent)."""
    if content_length is not None:
        declared = content_length.strip()
        if not declared.isdigit():
            raise InvalidInput("malformed Content-Length")
        if int(declared) > limit:
            raise TooLarge(f"the request body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the request body is larger than {limit} bytes")
    return bytes(body)


def parse_fields(body: bytes, content_type: str) -> dict[str, str]:
    """Fields of a JSON object (``application/json``) or of a form (anything else)."""
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        try:
            doc = json.loads(body or b"{}")
        except ValueError as exc:
            raise InvalidInput("the request body is not JSON") from exc
        if not isinstance(doc, dict):
            raise InvalidInput("the request body must be a JSON object")
        out: dict[str, str] = {}
        for k, v in doc.items():
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, str | int):
                raise InvalidInput(f"field {k[:40]!r} must be a string")
            out[k] = str(v)
        return out
    try:
        text = body.decode("utf-8")
        form = parse_qs(text, max_num_fields=MAX_FIELDS, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise InvalidInput("the form is not UTF-8") from exc
    except ValueError as exc:
        raise InvalidInput(f"the form has more than {MAX_FIELDS} fields") from exc
    return {k: v[0] for k, v in form.items()}
