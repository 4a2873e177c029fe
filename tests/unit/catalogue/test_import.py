"""`syndic import` beyond arXiv: manifests, directories, feeds, sitemaps, scholarly records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syndic.catalogue.rows import Defaults, holder_refs
from syndic.catalogue.service import Fetching
from syndic.errors import InputFileError, SharesError
from syndic.members.bulk import ImportOptions
from syndic.vault import Digest
from tests.conftest import MakeSyndic
from tests.unit.catalogue.files import docx, pdf, png


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_manifest_rows_mapping_holders_and_rerun(
    make_syndic: MakeSyndic, backend: str, tmp_path: Path
) -> None:
    s = make_syndic()
    alice = s.members.join(handle="alice", name="", payout_account="a")
    bob = s.members.join(handle="bob", name="", payout_account="b")
    (tmp_path / "story.html").write_text("<html><body><p>Floods in the valley</p></body></html>")
    manifest = _jsonl(
        tmp_path / "m.jsonl",
        [
            {"headline": "Floods", "path": "story.html", "by": "alice=60;bob=40", "desk": "news"},
            {"headline": "Op-ed", "text": "Opinion text", "byline": "carol", "desk": "opinion"},
            {"headline": "Note", "text": "A note", "by": [{"member": bob.id, "share": 100}]},
        ],
    )
    d = Defaults(mapping={"title": "headline", "holders": "by", "producer": "byline"})
    first = s.catalogue.manifest(manifest, fmt=None, defaults=d, options=ImportOptions())
    assert (first.works_created, first.members_created, first.refused) == (3, 1, [])
    works = {w.title: w for w in s.members.list_works()}
    floods = works["Floods"]
    assert floods.meta["desk"] == "news" and floods.meta["filename"] == "story.html"
    assert {(h.member_id, h.share_bp) for h in floods.holders} == {(alice.id, 6000), (bob.id, 4000)}
    assert floods.media_type == "text/html"
    assert floods.text_digest is not None
    text = s.vault.read_bytes(Digest.parse(floods.text_digest))
    assert text == b"Floods in the valley"  # both the original and its text are stored
    assert s.vault.read_bytes(Digest.parse(floods.digest)).startswith(b"<html>")
    assert works["Op-ed"].media_type.startswith("text/plain")
    events = s.report()["events"]
    again = s.catalogue.manifest(manifest, fmt=None, defaults=d, options=ImportOptions())
    assert (again.works_created, again.works_existing, again.members_created) == (0, 3, 0)
    assert s.report()["events"] == events
    assert s.verify_vault().ok and not s.verify_vault().orphans


def test_csv_manifest_refusals_name_their_lines(make_syndic: MakeSyndic, tmp_path: Path) -> None:
    s = make_syndic()
    m = tmp_path / "m.csv"
    m.write_text(
        "title,text,producer,section\n"
        "One,first text,ann,a\n"
        ",no title,ann,a\n"  # line 3
        "Three,,ann,a\n"  # line 4: neither text nor path
        "Four,text,ann\n"  # line 5: a column short
        "Five,fifth text,ann,b\n"
    )
    with pytest.raises(InputFileError, match=r"3 row\(s\) refused, nothing written: line 3"):
        s.catalogue.manifest(m, fmt=None, defaults=Defaults(), options=ImportOptions())
    assert s.report()["works"] == 0 and list(s.vault) == []
    r = s.catalogue.manifest(m, fmt=None, defaults=Defaults(), options=ImportOptions(skip_bad=True))
    assert [x.line for x in r.refused] == [3, 4, 5]
    assert "no title" in r.refused[0].reason and "columns" in r.refused[2].reason
    assert r.works_created == 2
    assert {w.meta["section"] for w in s.members.list_works()} == {"a", "b"}


def test_unknown_holders_and_shares_are_refused_at_write(
    make_syndic: MakeSyndic, tmp_path: Path
) -> None:
    s = make_syndic()
    s.members.join(handle="ann", name="", payout_account="a")
    m = _jsonl(
        tmp_path / "m.jsonl",
        [
            {"title": "A", "text": "a", "holders": "ann=50;nobody=50"},
            {"title": "B", "text": "b", "holders": "ann=70"},
            {"title": "C", "text": "c", "holders": "ann"},
        ],
    )
    r = s.catalogue.manifest(m, fmt=None, defaults=Defaults(), options=ImportOptions())
    assert [(x.line, x.reason) for x in r.refused] == [
        (1, "no member with handle 'nobody'"),
        (2, "shares sum to 70%, not 100%"),
    ]
    assert r.works_created == 1


def test_directory_of_mixed_media_with_sidecar(make_syndic: MakeSyndic, tmp_path: Path) -> None:
    s = make_syndic()
    root = tmp_path / "portfolio"
    root.mkdir()
    (root / "essay.md").write_text("# Essay\n\nWords about light.\n")
    (root / "report.pdf").write_bytes(pdf("Quarterly report text"))
    (root / "letter.docx").write_bytes(docx("Dear reader"))
    (root / "sunset.png").write_bytes(png(4, 3))
    (root / ".hidden").write_text("skipped")
    _jsonl(root / "manifest.jsonl", [{"path": "sunset.png", "title": "Sunset", "year": 2024}])
    r = s.catalogue.directory(root, defaults=Defaults(producer="ines"), options=ImportOptions())
    assert (r.works_created, r.members_created) == (4, 1)
    works = {w.title: w for w in s.members.list_works()}
    assert set(works) == {"essay", "report", "letter", "Sunset"}
    image = works["Sunset"]
    assert image.media_type == "image/png" and image.text_digest is None
    assert (image.meta["width"], image.meta["height"], image.meta["year"]) == (4, 3, 2024)
    assert [x.reason for x in r.without_text] == ["image/png: an image has no text"]
    report = works["report"]
    assert report.text_digest is not None
    assert s.vault.read_bytes(Digest.parse(report.text_digest)) == b"Quarterly report text"
    assert works["letter"].media_type.endswith("wordprocessingml.document")
    assert works["essay"].media_type == "text/markdown"


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>My blog</title>
<item><title>First post</title><link>http://{host}/first</link>
<description>&lt;p&gt;Hello from the blog&lt;/p&gt;</description></item>
<item><title>Linked only</title><link>http://{host}/second</link></item>
<item><title>Elsewhere</title><link>http://elsewhere.example/x</link></item>
</channel></rss>"""


def test_feed_fetches_only_the_members_own_site(
    make_syndic: MakeSyndic, tmp_path: Path, page_server: str
) -> None:
    s = make_syndic()
    host = page_server.removeprefix("http://")
    feed = tmp_path / "feed.xml"
    feed.write_text(RSS.format(host=host))
    d = Defaults(producer="blogger")
    with pytest.raises(InputFileError, match=r"line 2: .* pass --fetch"):
        s.catalogue.feed(str(feed), defaults=d, options=ImportOptions(), fetching=Fetching())
    own = Fetching(True, frozenset({host.split(":")[0]}))
    r = s.catalogue.feed(str(feed), defaults=d, options=ImportOptions(skip_bad=True), fetching=own)
    assert [(x.line, "not one of the member's own sites" in x.reason) for x in r.refused] == [
        (3, True)
    ]
    assert r.works_created == 2
    works = {w.title: w for w in s.members.list_works()}
    fetched = works["Linked only"]
    assert fetched.media_type == "text/html"
    assert fetched.text_digest is not None
    assert b"the second page" in s.vault.read_bytes(Digest.parse(fetched.text_digest))
    assert works["First post"].meta["url"].endswith("/first")


def test_sitemap_pages_are_fetched(
    make_syndic: MakeSyndic, tmp_path: Path, page_server: str
) -> None:
    s = make_syndic()
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{page_server}/second</loc></url></urlset>"
    )
    own = Fetching(True, frozenset({"127.0.0.1"}))
    r = s.catalogue.feed(
        str(sitemap), defaults=Defaults(producer="x"), options=ImportOptions(), fetching=own
    )
    assert r.works_created == 1


def test_crossref_and_orcid_records(make_syndic: MakeSyndic, tmp_path: Path) -> None:
    s = make_syndic()
    crossref = tmp_path / "crossref.json"
    crossref.write_text(
        json.dumps(
            {
                "message": {
                    "items": [
                        {
                            "DOI": "10.1000/xyz",
                            "title": ["Tidal energy"],
                            "abstract": "<jats:p>Waves and power.</jats:p>",
                            "issued": {"date-parts": [[2021, 3]]},
                            "container-title": ["Ocean Letters"],
                            "type": "journal-article",
                        },
                        {"DOI": "10.1000/untitled"},
                    ]
                }
            }
        )
    )
    d = Defaults(producer="0000-0002-1825-0097")
    with pytest.raises(InputFileError, match="line 2: a record with no title"):
        s.catalogue.scholarly(crossref, defaults=d, options=ImportOptions())
    r = s.catalogue.scholarly(crossref, defaults=d, options=ImportOptions(skip_bad=True))
    assert r.works_created == 1
    orcid = tmp_path / "orcid.json"
    orcid.write_text(
        json.dumps(
            {
                "group": [
                    {
                        "work-summary": [
                            {
                                "title": {"title": {"value": "Kelp forests"}},
                                "external-ids": {
                                    "external-id": [
                                        {"external-id-type": "doi", "external-id-value": "10.1/k"}
                                    ]
                                },
                                "publication-date": {"year": {"value": "2019"}},
                            }
                        ]
                    }
                ]
            }
        )
    )
    s.catalogue.scholarly(orcid, defaults=d, options=ImportOptions())
    works = {w.title: w for w in s.members.list_works()}
    assert works["Tidal energy"].meta["year"] == "2021"
    assert works["Kelp forests"].meta == {"doi": "10.1/k", "year": "2019", "source": "orcid"}
    text = s.vault.read_bytes(Digest.parse(works["Tidal energy"].digest))
    assert text == b"doi:10.1000/xyz\nTidal energy\nWaves and power.\n"


def test_holder_specs() -> None:
    assert holder_refs("ann") == [("ann", 10_000)]
    assert holder_refs("3=25, 4=75") == [(3, 2500), (4, 7500)]
    with pytest.raises(SharesError, match="MEMBER=PERCENT"):
        holder_refs("ann=50;bob")
