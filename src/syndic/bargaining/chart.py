"""The leverage chart: learning curves with bands (one panel per model family), the data
strike's gap marked at the builder's size, and the price range. Drawn with the shared
plotting helper (matplotlib, imported on first use)."""

from __future__ import annotations

from typing import Any

import numpy as np

from syndic.bargaining.scaling import power_law
from syndic.bargaining.views import LeverageRunView
from syndic.plotting import figure_bytes, pyplot

COLOURS = {"outside": "#b5533c", "outside+pool": "#3b6ea5", "pool": "#5a9e5a"}


def _panel(ax: Any, run: LeverageRunView, fam: str) -> None:
    pts = [p for p in run.points if p["family"] == fam]
    for arm, colour in COLOURS.items():
        sizes = sorted({p["size"] for p in pts if p["arm"] == arm})
        accs = [[p["accuracy"] for p in pts if p["arm"] == arm and p["size"] == n] for n in sizes]
        mean = np.asarray([np.mean(a) for a in accs])
        ax.plot(sizes, mean, "o-", color=colour, label=arm, markersize=3)
        ax.fill_between(
            sizes, [min(a) for a in accs], [max(a) for a in accs], color=colour, alpha=0.2
        )
        f = run.result["fits"][fam][arm]["error"]
        if f["usable"]:
            grid = np.geomspace(sizes[0], sizes[-1], 50)
            ax.plot(
                grid, 1 - power_law(grid, f["a"], f["b"], f["c"]), "--", color=colour, linewidth=0.8
            )
    s = run.result["strike"][fam]
    if s["accuracy_points"] is None:  # not read off flagged curves: nothing to mark
        _finish(ax, fam)
        return
    n = s["builder_size"]
    ax.annotate(
        "",
        xy=(n, s["with_pool_accuracy"]),
        xytext=(n, s["without_pool_accuracy"]),
        arrowprops={"arrowstyle": "<->", "color": "#222"},
    )
    ax.text(
        n,
        s["without_pool_accuracy"],
        f"  strike: {s['accuracy_points']:.1f} pts",
        fontsize=8,
        va="top",
    )
    _finish(ax, fam)


def _finish(ax: Any, fam: str) -> None:
    ax.set_xscale("log")
    ax.set_title(f"{fam}: accuracy against training size")
    ax.set_xlabel("training works")
    ax.set_ylabel("accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def _price(ax: Any, pr: dict[str, Any], currency_note: str) -> None:
    rows = [
        ("reservation", pr["reservation"].get("minor"), None),
        ("suggested ask", pr["ask"].get("minor"), None),
        (
            "builder's most",
            pr["willingness"].get("max_minor"),
            pr["willingness"].get("max_interval"),
        ),
    ]
    for i, (name, value, interval) in enumerate(rows):
        if value is None:
            ax.text(0, i, f"{name}: none", va="center", fontsize=8)
            continue
        if interval and None not in interval:
            ax.plot(interval, [i, i], color="#888", linewidth=6, alpha=0.5)
        ax.plot([value], [i], "o", color="#3b6ea5")
        ax.text(value, i + 0.2, f"{value / 100:,.0f}", fontsize=8, ha="center")
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_title("Price range")
    ax.set_xlabel(currency_note)
    ax.grid(axis="x", alpha=0.3)


def leverage_chart(run: LeverageRunView, *, fmt: str = "svg") -> bytes:
    plt = pyplot()
    fams = list(run.result["fits"])
    fig, axes = plt.subplots(1, len(fams) + 1, figsize=(5 * (len(fams) + 1), 4))
    for ax, fam in zip(axes, fams, strict=False):
        _panel(ax, run, fam)
    _price(axes[-1], run.result["price_range"], "major units (minor / 100)")
    fig.suptitle(f"Leverage run {run.id}")
    fig.tight_layout()
    return figure_bytes(fig, fmt)
