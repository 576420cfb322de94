"""Matplotlib figures, pure functions of metric tables.

Figures are built with `matplotlib.figure.Figure` directly (no pyplot): no global state, safe to
draw from the runner's thread, and nothing pops up in a notebook unless it is displayed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from jupyter_spec.core.ids import GraderId

PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")


def _colours(names: list[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


WIDTH = 7.0  # inches


def _margins(figure: Figure, labels: Iterable[str], panels: int, top: float) -> None:
    """Fixed margins in inches, sized for the longest label.

    Cheaper than `tight_layout`, which renders the whole figure once just to measure it: the live
    dashboard redraws while a run is going, on a thread that shares the interpreter lock.
    """
    height = figure.get_figheight()
    left = 0.3 + 0.075 * max((len(str(label)) for label in labels), default=4)
    bottom, gap = 0.55, 0.75  # x-axis label below each panel, and the next panel's title above it
    axes_height = max(0.3, (height - top - bottom - gap * (panels - 1)) / panels)
    figure.subplots_adjust(
        left=min(0.45, left / WIDTH), right=1 - 0.6 / WIDTH, top=1 - top / height, bottom=bottom / height,
        hspace=gap / axes_height,
    )  # fmt: skip


def _whiskers(ax: Any, values: Any, ys: Any, lows: Any, highs: Any, keep: Any = None) -> None:
    """Intervals around bar ends, in one call (rounding can put a value a hair outside its interval)."""
    values, ys, lows, highs = (np.asarray(x, dtype=float) for x in (values, ys, lows, highs))
    keep = ~(np.isnan(lows) | np.isnan(highs)) & (True if keep is None else np.asarray(keep))
    if keep.any():
        xerr = [np.maximum(0.0, values - lows)[keep], np.maximum(0.0, highs - values)[keep]]
        ax.errorbar(values[keep], ys[keep], xerr=xerr, fmt="none", ecolor="#222222", capsize=3, lw=1)


GRADED = ["compliant", "violation", "not_applicable", "unscored", "errors"]


def unscored_note(rows: pd.DataFrame, grader: str) -> str | None:
    """What an empty panel means when its grader read nothing: "6 of 6 unscored: the judge's replies
    could not be read", not a bare n=0."""
    if not len(rows) or rows["n"].sum() or not rows["unscored"].sum():
        return None
    graded = int(rows[GRADED].to_numpy().sum())
    why = "the judge's replies could not be read" if GraderId(grader).is_judge else "it gave no readable verdict"
    return f"{int(rows['unscored'].sum())} of {graded} unscored: {why}"


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
    figure = Figure(figsize=(WIDTH, 0.6 + sum(0.45 * n + 0.9 for n in sizes)), dpi=100)
    axes = figure.subplots(len(graders), 1, squeeze=False, gridspec_kw={"height_ratios": sizes})[:, 0]
    _margins(figure, table["clause"] if len(table) else [], panels=len(graders), top=0.6)
    for ax, grader, rows in zip(axes, graders, panels, strict=True):
        clauses = list(dict.fromkeys(rows["clause"]))
        for m, model in enumerate(models):
            bars = rows[rows["model"] == model].drop_duplicates("clause")  # one call per model: cheap to draw
            ys = [clauses.index(c) + (m - (len(models) - 1) / 2) * height for c in bars["clause"]]
            values = [r["adherence"] if r["n"] else 0.0 for _, r in bars.iterrows()]
            ax.barh(ys, values, height=height * 0.9, color=colour[model])
            scored = bars["n"].to_numpy() > 0
            _whiskers(ax, values, ys, bars["cluster_low"], bars["cluster_high"], scored)
            for y, n in zip(ys, bars["n"], strict=True):
                ax.text(1.02, y, f"n={int(n)}", va="center", fontsize=8, transform=ax.get_yaxis_transform())
        note = unscored_note(rows, grader)
        if note:
            ax.text(0.5, 0.5, note, ha="center", va="center", fontsize=9, transform=ax.transAxes,
                    bbox={"facecolor": "white", "edgecolor": "#C44E52"})  # fmt: skip
        ax.set_yticks(range(len(clauses)), clauses)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("adherence (compliant / scored), clustered 95% CI")
        flags = " (self-graded)" if grader and bool(rows["self_graded"].any()) else ""
        ax.set_title(f"{grader}{flags}" if grader else title, fontsize=10, loc="left")
    figure.suptitle(title, fontsize=11, x=0.01, ha="left")
    if models:
        handles = [Patch(color=colour[m], label=m) for m in models]
        figure.legend(handles=handles, loc="upper right", fontsize=8, frameon=False, ncols=min(3, len(models)))
    return figure


def delta_figure(comparison: pd.DataFrame, first: str, second: str) -> Figure:
    """Per clause: `second - first` adherence with its 95% interval."""
    clauses = list(comparison["clause"])
    figure = Figure(figsize=(WIDTH, 1.0 + 0.45 * max(1, len(clauses))), dpi=100)
    ax = figure.subplots()
    _margins(figure, clauses, panels=1, top=0.2)
    values = np.nan_to_num(comparison["difference"].to_numpy(dtype=float))
    ys = np.arange(len(clauses))
    ax.barh(ys, values, height=0.6, color=[PALETTE[0] if v >= 0 else PALETTE[3] for v in values])
    _whiskers(ax, values, ys, comparison["ci_low"], comparison["ci_high"])
    ax.axvline(0, color="#444444", lw=0.8)
    ax.set_yticks(range(len(clauses)), clauses)
    ax.invert_yaxis()
    ax.set_xlim(-1, 1)
    ax.set_xlabel(f"adherence difference: {second} minus {first} (95% CI)")
    return figure


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
