"""The one form of a request target that the gate both decides on and forwards.

A path has many spellings (``/%70rivate``, ``/a/../private``, ``/a//../private``), and sites
behind the gate read them differently: some merge slashes before removing dot segments, some
decode ``%2F`` into a separator, some take ``..;`` for ``..``. So the gate normalises a target
once, decides on that form, and forwards exactly that form; a spelling whose meaning depends
on the server is refused instead (``AmbiguousTarget``), never guessed at.

The normal form (RFC 3986 6.2.2 and 5.2.4, RFC 9309 2.2.2): non-ASCII octets
percent-encoded, escapes of unreserved characters decoded, other escapes upper-cased; in the
path, empty segments merged (``//`` is ``/``) and then dot segments removed.

Refused: an encoded slash, backslash or dot (``%2F``, ``%5C``, ``%2E``) or such an escape
encoded twice (``%252F``); a raw backslash; a NUL or other control octet, raw or encoded; a
segment of dots carrying parameters (``..;x``); a path whose octets are not UTF-8 (an
overlong ``%C0%AE`` is a dot to some servers); a path that does not start with ``/``.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from syndic.terms.robots import decode_unreserved, escape_pattern


class AmbiguousTarget(ValueError):
    """A request target whose meaning depends on the server reading it."""


# escapes whose meaning varies between servers, once or twice encoded
_AMBIGUOUS_ESCAPE = re.compile(r"%(?:25)?(?:2[EeFf]|5[Cc]|[01][0-9A-Fa-f]|7[Ff])")
_DOT_PARAMS = re.compile(r"(?:^|/)\.+;")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _check(path: str) -> None:
    m = _AMBIGUOUS_ESCAPE.search(path)
    if m is not None:
        raise AmbiguousTarget(
            f"the escape {m.group()} (an encoded slash, backslash, dot or control octet) "
            "in the path is refused"
        )
    if "\\" in path:
        raise AmbiguousTarget("a backslash in the path is refused")
    if _CONTROL.search(path):
        raise AmbiguousTarget("a control character in the path is refused")
    if _DOT_PARAMS.search(path):
        raise AmbiguousTarget("a dot segment with parameters (..;) in the path is refused")
    if not path.startswith("/"):
        raise AmbiguousTarget("the path must start with /")


def _merge_and_remove_dots(path: str) -> str:
    """Empty segments merged, then dot segments removed (RFC 3986 5.2.4)."""
    segments = path.split("/")[1:]
    trailing = path.endswith("/") or (bool(segments) and segments[-1] in (".", ".."))
    out: list[str] = []
    for seg in segments:
        if seg == "..":
            if out:
                out.pop()
        elif seg and seg != ".":
            out.append(seg)
    result = "/" + "/".join(out)
    return result + "/" if trailing and out else result


def _escapes(text: str) -> str:
    return decode_unreserved(escape_pattern(text.encode("latin-1")))


def normal_path(raw_path: str) -> str:
    """The normal form of a raw path (decoded as latin-1, one character per octet);
    ``AmbiguousTarget`` when it has a spelling that servers read differently."""
    _check(raw_path)
    escaped = _escapes(raw_path)
    try:
        unquote_to_bytes(escaped).decode("utf-8")
    except UnicodeDecodeError:
        raise AmbiguousTarget("the path is not UTF-8 once its escapes are decoded") from None
    return _merge_and_remove_dots(escaped)


def normal_target(raw_target: str) -> str:
    """Path and query in their normal form (the query keeps its own escapes apart from
    the case-insensitive equivalences of RFC 3986 6.2.2)."""
    path, sep, query = raw_target.partition("?")
    if _CONTROL.search(query):
        raise AmbiguousTarget("a control character in the query is refused")
    return normal_path(path) + (sep + _escapes(query) if sep else "")
