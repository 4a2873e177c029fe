"""Charts as inline SVG (matplotlib, Agg backend): payouts, events, ledger."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from markupsafe import Markup

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _svg(fig: object) -> Markup:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    text = buf.getvalue()
    # matplotlib's SVG writer escapes label text, so the markup is safe to embed.
    return Markup(text[text.index("<svg") :])  # noqa: S704


def bar_chart(labels: Sequence[str], values: Sequence[float], *, title: str, xlabel: str) -> Markup:
    fig, ax = plt.subplots(figsize=(7, max(2.0, 0.28 * len(labels) + 1)))
    ax.barh(list(labels)[::-1], list(values)[::-1], color="#3b6ea5")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    return _svg(fig)


def histogram(values: Sequence[float], *, title: str, xlabel: str, bins: int = 30) -> Markup:
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.hist(list(values), bins=bins, color="#5a9e6f")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("members")
    ax.grid(alpha=0.3)
    return _svg(fig)
