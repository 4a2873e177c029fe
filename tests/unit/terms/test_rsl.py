"""RSL 1.0: write, read back, older spellings, rule precedence, and refusals."""

from __future__ import annotations

import pytest

from syndic.terms.models import PaymentType, Terms, Usage
from syndic.terms.rsl import (
    NS,
    Content,
    License,
    Payment,
    RslDocument,
    RslError,
    license_from_terms,
    parse_rsl,
    render_terms,
    terms_from_license,
    terms_from_licenses,
    write_rsl,
)

TERMS = Terms(
    permits=frozenset({Usage.AI_TRAIN, Usage.SEARCH}),
    prohibits=frozenset({Usage.AI_INPUT}),
    payment_type=PaymentType.TRAINING,
    amount_minor=250_000_00,
    currency="EUR",
)


def test_render_then_parse_round_trips_terms() -> None:
    xml = render_terms(
        TERMS,
        content_urls=["/", "https://member.example/papers/*"],
        server="https://coalition.example/v1/olp",
        terms_url="https://coalition.example/terms",
        reporting_url="https://coalition.example/report",
        users=["commercial"],
        geo=["FR", "DE"],
        legal=[("warranty", "none")],
    )
    assert f'<rsl xmlns="{NS}">' in xml
    assert '<amount currency="EUR">250000.00</amount>' in xml
    doc = parse_rsl(xml)
    assert [c.url for c in doc.contents] == ["/", "https://member.example/papers/*"]
    c = doc.contents[0]
    assert c.server == "https://coalition.example/v1/olp"
    assert c.terms == "https://coalition.example/terms"
    search, lic = c.licenses  # search free, AI use priced (split per usage)
    assert terms_from_licenses(c.licenses) == TERMS
    assert search.permits.usage == {Usage.SEARCH} and search.permits.geo == {"FR", "DE"}
    assert lic.permits.geo == {"FR", "DE"}
    assert lic.reporting == "https://coalition.example/report"
    assert lic.legal == (("warranty", "none"),)
    assert lic == license_from_terms(
        TERMS.model_copy(update={"permits": frozenset({Usage.AI_TRAIN})}),
        users=["commercial"],
        geo=["FR", "DE"],
        legal=[("warranty", "none")],
        reporting="https://coalition.example/report",
    )


def test_free_terms_write_no_amount_and_round_trip() -> None:
    free = Terms(permits=frozenset({Usage.SEARCH}), payment_type=PaymentType.FREE)
    xml = render_terms(free)
    assert "<amount" not in xml
    assert terms_from_license(parse_rsl(xml).contents[0].licenses[0]) == free


def test_reads_rsl_09_spellings_and_comma_lists() -> None:
    doc = parse_rsl(
        f"""<rsl xmlns="{NS}"><content url="/"><license>
        <permits type="usage">train-ai, search</permits>
        <prohibits type="usage">ai-use</prohibits>
        <payment type="subscription"><custom>https://x.example/contact</custom></payment>
        </license></content></rsl>"""
    )
    lic = doc.contents[0].licenses[0]
    assert lic.permits.usage == {Usage.AI_TRAIN, Usage.SEARCH}
    assert lic.prohibits.usage == {Usage.AI_INPUT}
    assert lic.payment is not None and lic.payment.custom == "https://x.example/contact"


@pytest.mark.parametrize(
    ("permits", "prohibits", "usage", "allowed"),
    [
        ("ai-all", "ai-train", "ai-train", False),  # prohibition, more specific
        ("ai-all", "ai-train", "ai-input", True),
        ("ai-train", "ai-all", "ai-train", True),  # the more specific permission wins
        ("ai-train", "ai-all", "ai-index", False),
        ("ai-train", "ai-train", "ai-train", False),  # same specificity: prohibition wins
        ("all", "ai-all", "search", True),
        ("all", "ai-all", "ai-input", False),
        ("search", "", "ai-train", False),  # not named: refused
        ("", "", "search", False),  # empty permits: fails closed
    ],
)
def test_more_specific_rule_wins_prohibition_beats_permission(
    permits: str, prohibits: str, usage: str, allowed: bool
) -> None:
    doc = parse_rsl(
        f"""<rsl xmlns="{NS}"><content url="/"><license>
        <permits type="usage">{permits}</permits><prohibits type="usage">{prohibits}</prohibits>
        </license></content></rsl>"""
    )
    assert doc.contents[0].licenses[0].allows(Usage(usage)) is allowed


def test_user_and_geo_rules() -> None:
    doc = parse_rsl(
        f"""<rsl xmlns="{NS}"><content url="/"><license>
        <permits type="usage">all</permits><permits type="geo">fr,de</permits>
        <prohibits type="user">commercial</prohibits></license></content></rsl>"""
    )
    lic = doc.contents[0].licenses[0]
    assert lic.allows(Usage.AI_TRAIN, geo="FR", user="education")
    assert not lic.allows(Usage.AI_TRAIN, geo="US")
    assert not lic.allows(Usage.AI_TRAIN, user="commercial")


@pytest.mark.parametrize(
    ("xml", "match"),
    [
        ("<rsl><content url='/'/></rsl>", "root element"),
        (f"<rsl xmlns='{NS}'></rsl>", "at least one"),
        (f"<rsl xmlns='{NS}'><content/></rsl>", "url attribute"),
        (f"<rsl xmlns='{NS}'><content url='/'>", "well-formed"),
        (
            f"<rsl xmlns='{NS}'><content url='/'><license><permits>ai-everything</permits>"
            "</license></content></rsl>",
            "unknown usage",
        ),
        (
            f"<rsl xmlns='{NS}'><content url='/'><license><permits type='planet'>x</permits>"
            "</license></content></rsl>",
            "usage, user or geo",
        ),
        (
            f"<rsl xmlns='{NS}'><content url='/'><license><payment type='crawl'>"
            "<amount currency='EUR'>1.005</amount></payment></license></content></rsl>",
            "bad <amount>",
        ),
        (
            f"<rsl xmlns='{NS}'><content url='/'><license><payment type='barter'/>"
            "</license></content></rsl>",
            "unknown <payment",
        ),
        (
            '<!DOCTYPE r [<!ENTITY a "aaaa">]><rsl xmlns="' + NS + '"><content url="/">'
            "&a;</content></rsl>",
            "DTD",
        ),
        ("x" * (1 << 21), "larger than"),
    ],
)
def test_bad_documents_are_refused_with_a_reason(xml: str, match: str) -> None:
    with pytest.raises(RslError, match=match):
        parse_rsl(xml)


_DTD_DOC = (
    '<?xml version="1.0" encoding="{enc}"?><!DOCTYPE r [<!ENTITY a "ai-train">]>'
    f'<rsl xmlns="{NS}"><content url="/"><license><permits type="usage">&a;</permits>'
    "</license></content></rsl>"
)


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("UTF-16", "utf-16"),
        ("UTF-16LE", "utf-16-le"),
        ("UTF-16BE", "utf-16-be"),
    ],
)
def test_a_dtd_is_refused_in_any_encoding(encoding: str, codec: str) -> None:
    data = _DTD_DOC.format(enc=encoding).encode(codec)
    if codec == "utf-16-le":
        data = b"\xff\xfe" + data  # expat needs the byte-order mark to see UTF-16
    elif codec == "utf-16-be":
        data = b"\xfe\xff" + data
    with pytest.raises(RslError, match="must not contain a DTD"):
        parse_rsl(data)


def test_a_doctype_in_a_comment_is_not_a_dtd_and_utf16_documents_read() -> None:
    doc = (
        '<?xml version="1.0" encoding="UTF-16"?><!-- <!DOCTYPE is only words here -->'
        f'<rsl xmlns="{NS}"><content url="/"><license><permits type="usage">ai-train'
        "</permits></license></content></rsl>"
    )
    parsed = parse_rsl(doc.encode("utf-16"))
    assert parsed.contents[0].licenses[0].permits.usage == {Usage.AI_TRAIN}


def test_amounts_are_written_with_the_currencys_minor_unit() -> None:
    from syndic.gate.paypercrawl import Price
    from syndic.money import Money

    assert Money(123_456, "EUR").major == "1234.56" and str(Money(5, "JPY")) == "5 JPY"
    assert Money(1, "KWD").major == "0.001" and str(Price("KWD", 1)) == "KWD 0.001"
    assert ">0.001<" in write_rsl(
        RslDocument(
            (Content("/", licenses=(License(payment=Payment(PaymentType.CRAWL, 1, "KWD")),)),)
        )
    )


def test_paid_terms_that_let_search_in_split_the_payment_per_usage() -> None:
    paid = Terms(
        permits=frozenset({Usage.ALL}),
        payment_type=PaymentType.TRAINING,
        amount_minor=500_00,
    )
    (content,) = parse_rsl(render_terms(paid, server="https://c.example/v1/olp")).contents
    search, ai = content.licenses
    assert search.permits.usage == {Usage.SEARCH} and search.payment is not None
    assert search.payment.type is PaymentType.FREE and search.payment.amount_minor is None
    assert ai.permits.usage == {Usage.AI_ALL}
    assert ai.payment is not None and ai.payment.amount_minor == 500_00
    assert not ai.allows(Usage.SEARCH) and search.allows(Usage.SEARCH)
    assert terms_from_licenses(content.licenses) == paid
    # one usage, or a free licence: nothing to split
    only_ai = paid.model_copy(update={"permits": frozenset({Usage.AI_TRAIN})})
    assert len(parse_rsl(render_terms(only_ai)).contents[0].licenses) == 1


@pytest.mark.parametrize(
    "url", ["/", "/papers/*", "/papers/*.pdf$", "https://site.example", "https://s.example/a/*"]
)
def test_content_urls_are_paths_or_full_urls(url: str) -> None:
    assert parse_rsl(render_terms(TERMS, content_urls=[url])).contents[0].url == url


@pytest.mark.parametrize(
    "url", ["papers/", "ftp://s.example/", "https://", "/a$b", "//s.example/x", "/a b"]
)
def test_other_content_urls_are_refused_written_or_read(url: str) -> None:
    with pytest.raises(RslError, match="full http"):
        render_terms(TERMS, content_urls=[url])
    with pytest.raises(RslError, match="full http"):
        parse_rsl(f'<rsl xmlns="{NS}"><content url="{url}"><license/></content></rsl>')
