"""Published terms: each publication is a numbered, logged version; the newest is in force."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from syndic.errors import NotFound
from syndic.provenance.events import EventRecorder
from syndic.storage.db import Database
from syndic.storage.files import write_output
from syndic.terms.crawlers import CrawlerList
from syndic.terms.events import TermsPublished
from syndic.terms.formats import Site, render_all
from syndic.terms.models import Terms, TermsVersion

OLP_SERVER_PATH = "/v1/olp"  # the licence server RSL's `server` names
OLP_TOKEN_PATH = OLP_SERVER_PATH + "/token"  # where OLP clients POST: <server>/token


def terms_document(terms: Terms) -> dict[str, Any]:
    """The terms as their JSON document (``Terms.document``)."""
    return terms.document()


class TermsRegistry:
    def __init__(
        self,
        db: Database,
        events: EventRecorder,
        *,
        market_leader: Callable[[], tuple[str | None, int]] | None = None,
    ) -> None:
        self.db = db
        self.events = events
        # () -> (open licence, very-large-platform threshold): the charter's, published too
        self.market_leader = market_leader

    def publish(self, terms: Terms, *, actor: str = "steward") -> int:
        with self.db.write() as session:
            latest = session.scalar(
                select(TermsVersion.version).order_by(TermsVersion.version.desc()).limit(1)
            )
            version = (latest or 0) + 1
            idx = self.events.record(
                session, TermsPublished(version=version, terms=terms.document()), actor=actor
            )
            session.add(
                TermsVersion(
                    version=version,
                    document=terms,
                    published_at=self.events.clock.now(),
                    log_index=idx,
                )
            )
            return version

    def current(self) -> tuple[int, Terms]:
        with self.db.read() as session:
            return self._current(session)

    @staticmethod
    def _current(session: Session) -> tuple[int, Terms]:
        row = session.scalar(select(TermsVersion).order_by(TermsVersion.version.desc()).limit(1))
        if row is None:
            raise NotFound("the coalition has not published terms yet (syndic terms set)")
        return row.version, row.document

    def published_files(
        self, *, base_url: str, coalition: str, crawlers: CrawlerList
    ) -> dict[str, str]:
        """Every published format of the terms in force, by path relative to the site root."""
        version, terms = self.current()
        open_licence, threshold = self.market_leader() if self.market_leader else (None, None)
        site = Site(
            base_url=base_url,
            coalition=coalition,
            version=version,
            license_server=base_url.rstrip("/") + OLP_SERVER_PATH,
            open_licence=open_licence,
            vlop_mau_threshold=threshold,
        )
        return render_all(terms, site, crawlers)


def write_published(files: dict[str, str], out: Path) -> list[Path]:
    """Write the files under ``out`` (each atomically); returns the paths written."""
    written = []
    for rel, text in sorted(files.items()):
        written.append(write_output(out / rel, text, atomic=True))
    return written
