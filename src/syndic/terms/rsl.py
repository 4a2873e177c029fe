"""RSL 1.0 licence documents (namespace ``https://rslstandard.org/rsl``): read and write.

    <rsl xmlns="https://rslstandard.org/rsl">
      <content url="/" server="https://coalition.example/olp">
        <license>
          <permits type="usage">ai-train search</permits>
          <prohibits type="user">non-commercial</prohibits>
          <payment type="training"><amount currency="EUR">2500.00</amount></payment>
          <legal type="warranty">...</legal>
          <reporting>https://coalition.example/report</reporting>
        </license>
        <terms>https://coalition.example/terms</terms>
      </content>
    </rsl>

``render_terms`` is the one call other parts use: a ``Terms`` plus the content it covers
become an RSL document. Reading accepts RSL 0.9 spellings (``train-ai``) and comma lists.
Money is written in major units (the ISO 4217 exponent) and read back into minor units.

As RSL 1.0 says: ``<content url>`` is a full (http or https) URL or a path on the server,
matched by RFC 9309's rules (``*``, a final ``$``); anything else is refused, written or
read. ``server`` names the licence server itself: OLP clients POST to ``<server>/token``.
When the terms let search in at no charge but price AI use, the payment is split per usage:
one ``<license>`` permits search, free, and another permits the AI usages at the price.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from xml.parsers import expat

from syndic.errors import InvalidInput, RslError
from syndic.money import Money, parse_major
from syndic.terms.models import (
    AI_USAGES,
    PaymentType,
    Terms,
    Usage,
    decide,
    expand,
    parse_usage_list,
)

NS = "https://rslstandard.org/rsl"
MEDIA_TYPE = "application/rsl+xml"
MAX_BYTES = 1 << 20
_Q = f"{{{NS}}}"
_FREE = (PaymentType.FREE, PaymentType.ATTRIBUTION)
_CONTENT_URL = re.compile(r"https?://[^/\s?#]+(?:/[^\s$#]*\$?)?|/(?!/)[^\s$#]*\$?")


def check_content_url(url: str) -> str:
    """``url`` if it is what RSL 1.0 allows in ``<content url>``: a full http(s) URL, or a
    path starting with ``/`` (RFC 9309 matching: ``*`` anywhere, ``$`` only at the end)."""
    if not _CONTENT_URL.fullmatch(url):
        raise RslError(
            f"<content url={url!r}> must be a full http(s) URL or a path starting with / "
            "(RFC 9309 patterns: * anywhere, $ only at the end)"
        )
    return url


class RuleType(StrEnum):
    USAGE = "usage"
    USER = "user"
    GEO = "geo"


@dataclass(frozen=True)
class Rules:
    """The values of ``<permits>`` or ``<prohibits>`` elements, per type."""

    usage: frozenset[Usage] = frozenset()
    user: frozenset[str] = frozenset()
    geo: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.usage or self.user or self.geo)


@dataclass(frozen=True)
class Payment:
    type: PaymentType = PaymentType.FREE
    amount_minor: int | None = None
    currency: str | None = None
    standard: str | None = None
    custom: str | None = None


@dataclass(frozen=True)
class License:
    permits: Rules = Rules()
    prohibits: Rules = Rules()
    payment: Payment | None = None
    legal: tuple[tuple[str, str], ...] = ()
    reporting: str | None = None

    def allows(self, usage: Usage, *, user: str | None = None, geo: str | None = None) -> bool:
        """Usage by the most specific rule (prohibition on a tie); user and geo by list.

        A licence with no usage permits at all permits nothing: it fails closed.
        """
        if not all(decide(self.permits.usage, self.prohibits.usage, u) for u in expand([usage])):
            return False
        for wanted, permitted, prohibited in (
            (user, self.permits.user, self.prohibits.user),
            (geo, self.permits.geo, self.prohibits.geo),
        ):
            if wanted is None:
                continue
            if wanted in prohibited or (permitted and wanted not in permitted):
                return False
        return True


@dataclass(frozen=True)
class Content:
    url: str
    server: str | None = None
    licenses: tuple[License, ...] = ()
    terms: str | None = None


@dataclass(frozen=True)
class RslDocument:
    contents: tuple[Content, ...] = field(default_factory=tuple)


# --- from and to Terms ------------------------------------------------------------------------
def license_from_terms(
    terms: Terms,
    *,
    users: Iterable[str] = (),
    geo: Iterable[str] = (),
    legal: Iterable[tuple[str, str]] = (),
    reporting: str | None = None,
    custom: str | None = None,
) -> License:
    free = terms.payment_type in _FREE
    return License(
        permits=Rules(usage=terms.permits, user=frozenset(users), geo=frozenset(geo)),
        prohibits=Rules(usage=terms.prohibits),
        payment=Payment(
            type=terms.payment_type,
            amount_minor=None if free else terms.amount_minor,
            currency=None if free else terms.currency,
            custom=custom,
        ),
        legal=tuple(legal),
        reporting=reporting,
    )


def licenses_from_terms(
    terms: Terms,
    *,
    users: Iterable[str] = (),
    geo: Iterable[str] = (),
    legal: Iterable[tuple[str, str]] = (),
    reporting: str | None = None,
) -> tuple[License, ...]:
    """The ``<license>`` elements for ``terms`` (the rest as for ``license_from_terms``). Paid
    terms that also permit search are split per usage: search is free (being found is not
    what the coalition sells, and the published Content-Usage says ``search=y``), the AI
    usages carry the price; otherwise one licence says it all."""
    users, geo, legal = tuple(users), tuple(geo), tuple(legal)

    def one(t: Terms) -> License:
        return license_from_terms(t, users=users, geo=geo, legal=legal, reporting=reporting)

    paid = terms.payment_type not in _FREE
    ai = {u for u in AI_USAGES if terms.allows(u)}
    if not (paid and terms.allows(Usage.SEARCH) and ai):
        return (one(terms),)
    ai_permits = {Usage.AI_ALL if u is Usage.ALL else u for u in terms.permits} - {Usage.SEARCH}
    search = terms.model_copy(
        update={
            "permits": frozenset({Usage.SEARCH}),
            "payment_type": PaymentType.FREE,
            "amount_minor": 0,
        }
    )
    priced = terms.model_copy(update={"permits": frozenset(ai_permits)})
    return (one(search), one(priced))


def terms_from_license(lic: License, *, duration_days: int = 365) -> Terms:
    """The ``Terms`` an RSL licence states (user/geo/legal are not part of ``Terms``)."""
    return terms_from_licenses((lic,), duration_days=duration_days)


def terms_from_licenses(licenses: Sequence[License], *, duration_days: int = 365) -> Terms:
    """The ``Terms`` the licences of one ``<content>`` state together: what any permits, at
    the price of the priced one (a free search licence beside a priced AI one, as
    ``licenses_from_terms`` writes them, reads back as the terms it was split from)."""
    if not licenses:
        raise RslError("a <content> needs at least one <license>")
    priced = [lic for lic in licenses if lic.payment is not None and lic.payment.type not in _FREE]
    if len(priced) > 1:
        raise RslError("more than one priced <license> for one content is not Syndic's terms")
    pay = (priced[0] if priced else licenses[0]).payment or Payment()
    permits = frozenset().union(*(lic.permits.usage for lic in licenses))
    if {Usage.AI_ALL, Usage.SEARCH} <= permits:
        permits = (permits - {Usage.AI_ALL, Usage.SEARCH}) | {Usage.ALL}
    prohibits = frozenset.intersection(*(lic.prohibits.usage for lic in licenses))
    try:
        return Terms(
            permits=permits,
            prohibits=prohibits,
            payment_type=pay.type,
            amount_minor=pay.amount_minor or 0,
            currency=pay.currency or "EUR",
            duration_days=duration_days,
        )
    except ValueError as exc:
        raise RslError(f"RSL licence does not make valid terms: {exc}") from exc


def render_terms(
    terms: Terms,
    *,
    content_urls: Iterable[str] = ("/",),
    server: str | None = None,
    terms_url: str | None = None,
    reporting_url: str | None = None,
    users: Iterable[str] = (),
    geo: Iterable[str] = (),
    legal: Iterable[tuple[str, str]] = (),
) -> str:
    """RSL XML for ``terms`` over each of ``content_urls`` (paths or full URLs).

    ``server`` names the licence server (OLP clients POST to ``<server>/token``): its
    presence tells a crawler it must obtain a licence token before use.
    """
    urls = [check_content_url(u) for u in content_urls]
    if not urls:
        raise RslError("an RSL document needs at least one content URL")
    lics = licenses_from_terms(terms, users=users, geo=geo, legal=legal, reporting=reporting_url)
    doc = RslDocument(
        tuple(Content(url=u, server=server, licenses=lics, terms=terms_url) for u in urls)
    )
    return write_rsl(doc)


# --- writing ---------------------------------------------------------------------------------
def _rules(parent: ET.Element, tag: str, rules: Rules) -> None:
    for kind, values in (
        (RuleType.USAGE, sorted(v.value for v in rules.usage)),
        (RuleType.USER, sorted(rules.user)),
        (RuleType.GEO, sorted(rules.geo)),
    ):
        if values:
            el = ET.SubElement(parent, tag, {"type": kind.value})
            el.text = ",".join(values)


def write_rsl(doc: RslDocument) -> str:
    if not doc.contents:
        raise RslError("an RSL document needs at least one <content>")
    root = ET.Element("rsl", {"xmlns": NS})
    for c in doc.contents:
        attrs = {"url": check_content_url(c.url)}
        if c.server:
            attrs["server"] = c.server
        content = ET.SubElement(root, "content", attrs)
        for lic in c.licenses:
            _write_license(ET.SubElement(content, "license"), lic)
        if c.terms:
            ET.SubElement(content, "terms").text = c.terms
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _write_license(el: ET.Element, lic: License) -> None:
    _rules(el, "permits", lic.permits)
    _rules(el, "prohibits", lic.prohibits)
    if lic.payment is not None:
        _write_payment(ET.SubElement(el, "payment", {"type": lic.payment.type.value}), lic.payment)
    for kind, text in lic.legal:
        ET.SubElement(el, "legal", {"type": kind}).text = text
    if lic.reporting:
        ET.SubElement(el, "reporting").text = lic.reporting


def _write_payment(el: ET.Element, payment: Payment) -> None:
    if payment.standard:
        ET.SubElement(el, "standard").text = payment.standard
    if payment.custom:
        ET.SubElement(el, "custom").text = payment.custom
    if payment.amount_minor is not None and payment.currency:
        amount = ET.SubElement(el, "amount", {"currency": payment.currency})
        amount.text = Money(payment.amount_minor, payment.currency).major


# --- reading ---------------------------------------------------------------------------------
def _refuse_dtd(*_: object) -> None:
    raise RslError("RSL documents must not contain a DTD")


def _parse_xml(data: str | bytes) -> ET.Element:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_BYTES:
        raise RslError(f"RSL document is larger than {MAX_BYTES} bytes")
    # No DTD means no entity expansion: the XML-bomb and external-entity attacks need one.
    # expat itself says when a DOCTYPE starts, in whatever encoding the document is written
    # (a byte search would miss UTF-16), before anything in it is expanded.
    check = expat.ParserCreate()
    check.StartDoctypeDeclHandler = _refuse_dtd
    check.EntityDeclHandler = _refuse_dtd
    try:
        check.Parse(raw, True)
        return ET.fromstring(raw)  # noqa: S314  (a DTD was refused above)
    except (expat.ExpatError, ET.ParseError) as exc:
        raise RslError(f"RSL document is not well-formed XML: {exc}") from exc


def _text(el: ET.Element | None) -> str | None:
    if el is None or el.text is None or not el.text.strip():
        return None
    return el.text.strip()


def _read_rules(lic: ET.Element, tag: str) -> Rules:
    usage: set[Usage] = set()
    user: set[str] = set()
    geo: set[str] = set()
    for el in lic.findall(_Q + tag):
        kind = el.get("type", "usage").strip().lower()
        text = el.text or ""
        if kind == RuleType.USAGE:
            try:
                usage |= parse_usage_list(text)
            except ValueError as exc:
                raise RslError(f"unknown usage token in <{tag}>: {text.strip()!r}") from exc
        elif kind == RuleType.USER:
            user |= {v.lower() for v in text.replace(",", " ").split()}
        elif kind == RuleType.GEO:
            geo |= {v.upper() for v in text.replace(",", " ").split()}
        else:
            raise RslError(f'<{tag} type="{kind}"> is not usage, user or geo')
    return Rules(frozenset(usage), frozenset(user), frozenset(geo))


def _read_payment(el: ET.Element) -> Payment:
    try:
        kind = PaymentType(el.get("type", "free").strip().lower())
    except ValueError as exc:
        raise RslError(f'unknown <payment type="{el.get("type")}">') from exc
    amount_el = el.find(_Q + "amount")
    amount = currency = None
    if amount_el is not None:
        currency = (amount_el.get("currency") or "").strip().upper()
        text = _text(amount_el)
        if not currency or text is None:
            raise RslError("<amount> needs a currency attribute and a value")
        try:
            amount = parse_major(text, currency)
        except InvalidInput as exc:
            raise RslError(f"bad <amount>: {exc.message}") from exc
    return Payment(
        type=kind,
        amount_minor=amount,
        currency=currency,
        standard=_text(el.find(_Q + "standard")),
        custom=_text(el.find(_Q + "custom")),
    )


def _read_license(el: ET.Element) -> License:
    pay = el.find(_Q + "payment")
    reporting = el.find(_Q + "reporting")
    return License(
        permits=_read_rules(el, "permits"),
        prohibits=_read_rules(el, "prohibits"),
        payment=None if pay is None else _read_payment(pay),
        legal=tuple((x.get("type", ""), (x.text or "").strip()) for x in el.findall(_Q + "legal")),
        reporting=None if reporting is None else (_text(reporting) or reporting.get("url") or None),
    )


def parse_rsl(data: str | bytes) -> RslDocument:
    """Parse an RSL document; ``RslError`` names what is wrong."""
    root = _parse_xml(data)
    if root.tag != _Q + "rsl":
        raise RslError(f'root element must be <rsl xmlns="{NS}">, got {root.tag!r}')
    contents = []
    for c in root.findall(_Q + "content"):
        url = (c.get("url") or "").strip()
        if not url:
            raise RslError("<content> needs a url attribute")
        check_content_url(url)
        contents.append(
            Content(
                url=url,
                server=c.get("server") or None,
                licenses=tuple(_read_license(x) for x in c.findall(_Q + "license")),
                terms=_text(c.find(_Q + "terms")),
            )
        )
    if not contents:
        raise RslError("an RSL document needs at least one <content>")
    return RslDocument(tuple(contents))


__all__ = [
    "MEDIA_TYPE",
    "NS",
    "Content",
    "License",
    "Payment",
    "RslDocument",
    "RslError",
    "Rules",
    "check_content_url",
    "license_from_terms",
    "licenses_from_terms",
    "parse_rsl",
    "render_terms",
    "terms_from_license",
    "terms_from_licenses",
    "write_rsl",
]
