"""Matplotlib figures, pure functions of metric tables.

Figures are built with `matplotlib.figure.Figure` directly (no pyplot): no global state, safe to
draw from the runner's thread, and nothing pops up in a notebook unless it is displayed.
"""

from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")


def _colours(names: list[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _whisker(ax: Any, value: float, y: float, low: float, high: float) -> None:
    """An interval around a bar's end (rounding can put `value` a hair outside it)."""
    if math.isnan(low) or math.isnan(high):
        return
    xerr = [[max(0.0, value - low)], [max(0.0, high - value)]]
    ax.errorbar(value, y, xerr=xerr, fmt="none", ecolor="#222222", capsize=3, lw=1)


def adherence_figure(table: pd.DataFrame, title: str = "Adherence per clause") -> Figure:
    """Horizontal bars per clause, one colour per model, clustered 95% CI whiskers, n on each bar.

    `table` is `Results.adherence()`: one panel per grader when there are several.
    """
    graders = list(dict.fromkeys(table["grader"])) if "grader" in table and len(table) else [""]
    models = list(dict.fromkeys(table["model"])) if len(table) else []
    colour = _colours(models)
    height = 0.8 / max(1, len(models))
    panels = [table[table["grader"] == g] if g else table for g in graders]
    sizes = [max(1, r["clause"].nunique()) for r in panels]
    figure = Figure(figsize=(7, 0.6 + sum(0.45 * n + 0.9 for n in sizes)), dpi=100)
    axes = figure.subplots(len(graders), 1, squeeze=False, gridspec_kw={"height_ratios": sizes})[:, 0]
    for ax, grader, rows in zip(axes, graders, panels, strict=True):
        clauses = list(dict.fromkeys(rows["clause"]))
        for m, model in enumerate(models):
            for c, clause in enumerate(clauses):
                match = rows[(rows["model"] == model) & (rows["clause"] == clause)]
                if match.empty:
                    continue
                r = match.iloc[0]
                y = c + (m - (len(models) - 1) / 2) * height
                value = r["adherence"] if r["n"] else 0.0
                ax.barh(y, value, height=height * 0.9, color=colour[model])
                if r["n"]:
                    _whisker(ax, value, y, r["cluster_low"], r["cluster_high"])
                ax.text(1.02, y, f"n={int(r['n'])}", va="center", fontsize=8, transform=ax.get_yaxis_transform())
        ax.set_yticks(range(len(clauses)), clauses)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("adherence (compliant / scored), clustered 95% CI")
        flags = " (self-graded)" if grader and bool(rows["self_graded"].any()) else ""
        ax.set_title(f"{grader}{flags}" if grader else title, fontsize=10, loc="left")
    figure.suptitle(title, fontsize=11, x=0.01, ha="left")
    figure.tight_layout()
    if models:
        handles = [Patch(color=colour[m], label=m) for m in models]
        figure.legend(handles=handles, loc="upper right", fontsize=8, frameon=False, ncols=min(3, len(models)))
    return figure


def delta_figure(comparison: pd.DataFrame, first: str, second: str) -> Figure:
    """Per clause: `second - first` adherence with its 95% interval."""
    clauses = list(comparison["clause"])
    figure = Figure(figsize=(7, 1.0 + 0.45 * max(1, len(clauses))), dpi=100)
    ax = figure.subplots()
    for y, (_, r) in enumerate(comparison.iterrows()):
        value = 0.0 if math.isnan(r["difference"]) else r["difference"]
        ax.barh(y, value, height=0.6, color=PALETTE[0] if value >= 0 else PALETTE[3])
        _whisker(ax, value, y, r["ci_low"], r["ci_high"])
    ax.axvline(0, color="#444444", lw=0.8)
    ax.set_yticks(range(len(clauses)), clauses)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.set_xlabel(f"adherence difference: {second} minus {first} (95% CI)")
    figure.tight_layout()
    return figure


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
