"""Charts drawn with matplotlib (Agg backend) as SVG or PNG bytes: one helper for the web pages
(``web/charts.py``) and for the domains that draw (valuation's contribution-per-label chart),
so neither imports the other. matplotlib is imported on first use."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

FORMATS = ("svg", "png")
POSITIVE, NEGATIVE = "#3b6ea5", "#b5533c"


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_bytes(fig: Any, fmt: str = "svg") -> bytes:
    """Render a figure as ``fmt`` (svg or png) and close it."""
    if fmt not in FORMATS:
        raise ValueError(f"charts are svg or png, not {fmt!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, bbox_inches="tight")
    pyplot().close(fig)
    return buf.getvalue()


def barh(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str,
    fmt: str = "svg",
    signed: bool = False,
    log: bool = False,
) -> bytes:
    """Horizontal bars, the first label at the top. ``signed`` colours bars by sign and draws
    the zero line (for contributions that can be negative). ``log`` draws counts on a log
    scale, each bar labelled with its count, so that 1 shows beside 100,000."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, max(2.0, 0.28 * len(labels) + 1)))
    vals = list(values)[::-1]
    colours = [POSITIVE if v >= 0 or not signed else NEGATIVE for v in vals]
    ax.barh(list(labels)[::-1], vals, color=colours)
    if signed:
        ax.axvline(0, color="#444", linewidth=0.8)
    if log and vals:
        ax.set_xscale("log")
        ax.set_xlim(0.8, max(vals) * 3)
        for y, v in enumerate(vals):
            ax.annotate(f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points", va="center")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    return figure_bytes(fig, fmt)
