"""Charts as inline SVG (matplotlib, Agg backend, drawn by ``syndic.plotting``): payouts,
events, ledger."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from markupsafe import Markup

from syndic.plotting import barh, figure_bytes, pyplot


def svg_markup(svg: bytes) -> Markup:
    """SVG bytes as markup to embed in a page (from the ``<svg`` element on)."""
    text = svg.decode("utf-8")
    # matplotlib's SVG writer escapes label text, so the markup is safe to embed.
    return Markup(text[text.index("<svg") :])  # noqa: S704


def svg_data_uri(svg: bytes) -> str:
    """SVG as a ``data:`` URI for an ``<img>``: the chart keeps its own styles under the
    pages' Content-Security-Policy (which allows no inline styles in the page itself)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def bar_chart_uri(
    labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str
) -> str:
    return svg_data_uri(barh(labels, values, title=title, xlabel=xlabel))


def _svg(fig: object) -> Markup:
    return svg_markup(figure_bytes(fig, "svg"))


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str,
    log: bool = False,
) -> Markup:
    return svg_markup(barh(labels, values, title=title, xlabel=xlabel, log=log))


def histogram(values: Sequence[float], *, title: str, xlabel: str, bins: int = 30) -> Markup:
    fig, ax = pyplot().subplots(figsize=(7, 3))
    ax.hist(list(values), bins=bins, color="#5a9e6f")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("members")
    ax.grid(alpha=0.3)
    return _svg(fig)
