"""Live views in the notebook: the run dashboard and the transcript browser (ipywidgets).

Views hold no logic: they read `Run.progress` and `Results` and call `overrule`. Drawing happens
on a thread of its own, at most twice a second, so a run never waits for a chart. Every piece of
text a model, a judge or a spec author wrote is escaped before it reaches an HTML widget.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from jupyter_spec.analysis.results import Results, calibrations, live_frame
from jupyter_spec.core.ids import VERDICTS, WORST_FIRST
from jupyter_spec.engine.graders import ModelJudge
from jupyter_spec.engine.rulings import overrule
from jupyter_spec.spec.document import Spec
from jupyter_spec.views.mime import notes
from jupyter_spec.views.plots import adherence_figure, png

if TYPE_CHECKING:
    from jupyter_spec.engine.progress import Progress
    from jupyter_spec.engine.runner import Run

log = logging.getLogger(__name__)
ALL = "(all)"


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


class Throttle:
    """Runs `action` on its own thread when requested: at most once per `interval` seconds, and
    busy at most a `duty` share of the time (a slow action waits longer before the next one).

    Python threads share one interpreter lock, so a view drawing flat out would slow the run it
    shows; the duty cap keeps it to a fraction. Requests that arrive while it waits are merged into
    one; `close()` runs a last action if anything was requested since the previous one, then stops.
    """

    def __init__(self, action: Callable[[], None], interval: float = 0.5, duty: float = 0.1) -> None:
        self.action = action
        self.interval = interval
        self.duty = duty
        self.calls: list[float] = []  # when each action started (monotonic), for tests and curiosity
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="jupyter-spec-redraw", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wake.set()

    def close(self, timeout: float = 30.0) -> None:
        self._closing = True
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            started = time.monotonic()
            self.calls.append(started)
            try:
                self.action()
            except Exception:  # a failed draw must not kill later ones
                log.exception("redraw failed")
            if self._closing and not self._wake.is_set():
                return
            took = time.monotonic() - started
            time.sleep(max(0.0, started + max(self.interval, took / self.duty) - time.monotonic()))


def _status_line(progress: Progress) -> str:
    return f"<b>{esc(progress.status)}</b>: " + " · ".join(esc(part) for part in progress.parts())


class Dashboard:
    """Progress, cancel, the adherence chart and the judge's standing, live while a run streams in."""

    def __init__(self, run: Run, interval: float = 0.5) -> None:
        self.run = run
        self.status = widgets.HTML()
        self.bar = widgets.IntProgress(min=0, max=max(1, len(run.plan)), description="samples")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="warning")
        self.cancel_button.on_click(lambda _: self.run.cancel())
        self.chart = widgets.Image(format="png", layout=widgets.Layout(max_width="720px"))
        self.notes = widgets.HTML()
        self.browser = TranscriptBrowser(lambda: self.run.results, self.run.store, self.run.spec)
        self.widget = widgets.VBox(
            [widgets.HBox([self.bar, self.cancel_button]), self.status, self.chart, self.notes, self.browser.widget]
        )
        self.table = pd.DataFrame()
        self.figure: Any = None  # the last chart drawn (a matplotlib Figure)
        judges = [g.model for g in run.graders if isinstance(g, ModelJudge)]
        self._calibrations = calibrations(run.store, judges, run.config.get("spec"))
        self._throttle = Throttle(self.draw, interval)
        self._finished = False
        run.subscribe(self._on_progress)

    def _on_progress(self, progress: Progress) -> None:
        self._throttle.request()
        if progress.ended and not self._finished:
            self._finished = True
            threading.Thread(target=self._throttle.close, daemon=True).start()

    def draw(self) -> None:
        """Redraw everything from the run's current state (on the throttle's thread).

        While the run goes on, figures come from its memory; once it ended, from the store.
        """
        progress = self.run.progress
        self.status.value = _status_line(progress)
        self.bar.value = progress.finished
        ended = progress.ended
        self.cancel_button.disabled = ended
        if ended:
            results = self.run.results
        else:
            live = live_frame(self.run.id, self.run.samples, self.run.grades, self.run.store)
            results = Results(live, self._calibrations, self.run.spec, self.run.store)
        table = results.adherence()
        if len(table) and not table.equals(self.table):  # the chart is the costly part: only when it changed
            self.figure = adherence_figure(table)
            self.chart.value = png(self.figure)
        self.table = table
        self.notes.value = "<br>".join(esc(line) for line in notes(table))
        if ended:
            self.browser.refresh(results)

    @property
    def draws(self) -> list[float]:
        return self._throttle.calls

    def wait_drawn(self, timeout: float = 30.0) -> None:
        """Block until the final redraw after the run ended (for scripts and tests)."""
        self.run.wait(timeout)
        self._throttle._thread.join(timeout)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _item_label(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    worst = min(group["final"], key=lambda v: WORST_FIRST.get(v, 9))
    where = first["marker"] or first["clause"]
    return f"{worst.upper()} · {where} · {first['model']} · {first['challenge_title']} #{first['sample_index']}"


def _turns_html(transcript: list[dict[str, str]]) -> str:
    return "".join(
        f"<div class='js-turn'><b>{esc(turn['role'])}</b>"
        f"<pre style='white-space:pre-wrap'>{esc(turn['content'])}</pre></div>"
        for turn in transcript
    )


def item_html(group: pd.DataFrame, spec: Spec | None, precedents: Sequence[dict[str, Any]] = ()) -> str:
    """Everything about one sample: clause and its precedents, conversation, answer, grades, ruling."""
    first = group.iloc[0]
    parts = []
    if spec is not None and first["clause"] in spec.clauses:
        clause = spec.clauses[first["clause"]]
        rulings = "".join(
            f"<li>{esc(p['verdict'])}: {esc(p['note'])} <i>({esc(p['author'])})</i>"
            f"<pre style='white-space:pre-wrap'>{esc(p['response'])}</pre></li>"
            for p in precedents
        )
        parts.append(
            f"<details><summary>Clause {{#{esc(clause.id)}}} {esc(clause.title)}"
            f"{f' · {len(precedents)} precedent(s)' if precedents else ''}</summary>"
            f"<pre style='white-space:pre-wrap'>{esc(clause.text)}</pre>"
            + (f"<p>Precedents of this clause:</p><ul>{rulings}</ul>" if rulings else "")
            + "</details>"
        )
    if first["status"] != "ok":
        parts.append(f"<p><b>sampling failed</b>: {esc(first['error'])}</p>")
    transcript = first["transcript"] if isinstance(first["transcript"], list) else []
    parts.append(_turns_html(transcript))
    for _, grade in group.iterrows():
        score = "" if pd.isna(grade["score"]) else f" (score {grade['score']:.2f})"
        self_flag = " · self-graded" if grade["self_graded"] is True else ""
        checks = "".join(
            f"<li>{esc(c.get('turn', ''))} {esc(c['kind'])} {esc(c['expected'])}: "
            f"{'holds' if c['passed'] else 'fails'}{' (found ' + esc(c['found']) + ')' if c.get('found') else ''}</li>"
            for c in (grade["checks"] if isinstance(grade["checks"], list) else [])
        )
        parts.append(
            f"<div class='js-grade'><b>{esc(grade['grader'])}</b>: {esc(grade['verdict'])}{esc(score)}{self_flag}"
            f"<pre style='white-space:pre-wrap'>{esc(grade['reasoning'])}</pre>"
            + (f"<ul>{checks}</ul>" if checks else "")
            + (f"<p>error: {esc(grade['error'])}</p>" if grade["verdict"] == "error" and grade["error"] else "")
            + "</div>"
        )
    if isinstance(first["ruling"], str):
        parts.append(f"<p><b>reviewer's ruling</b>: {esc(first['ruling'])} — {esc(first['ruling_note'])}</p>")
    return "".join(parts)


class TranscriptBrowser:
    """Filter samples, read why each was judged as it was, and overrule a verdict with a note."""

    def __init__(self, source: Callable[[], Results] | Results, store: Any = None, spec: Spec | None = None) -> None:
        if isinstance(source, Results):  # `TranscriptBrowser(run.results)`: fixed results, their store
            results = source
            source, store, spec = (lambda: results), store or results.store, spec or results.spec
        if store is None:
            raise TypeError("TranscriptBrowser needs a store: pass Results that have one, or store=...")
        self.source = source
        self.store = store
        self.spec = spec
        self.df = pd.DataFrame()
        self._lock = threading.RLock()  # refreshed by the dashboard's redraw thread and by the kernel
        self.filters = {
            name: widgets.Dropdown(description=name, options=[ALL], value=ALL, layout=widgets.Layout(width="220px"))
            for name in ("clause", "marker", "model", "verdict")
        }
        for dropdown in self.filters.values():
            dropdown.observe(lambda _: self._show_items(), names="value")
        self.items = widgets.Select(options=[], rows=8, layout=widgets.Layout(width="100%"))
        self.items.observe(lambda _: self._show_detail(), names="value")
        self.detail = widgets.HTML()
        self.verdict = widgets.ToggleButtons(options=list(VERDICTS), value="compliant")
        self.note = widgets.Text(placeholder="why the judge was wrong (kept with the ruling)")
        self.overrule_button = widgets.Button(description="Overrule", icon="gavel")
        self.overrule_button.on_click(lambda _: self.overrule())
        self.message = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox(list(self.filters.values())),
                self.items,
                self.detail,
                widgets.HBox([self.verdict, self.note, self.overrule_button]),
                self.message,
            ]
        )

    def refresh(self, results: Results | None = None) -> None:
        results = results or self.source()
        with self._lock:
            self.spec = results.spec or self.spec
            self.df = results.df
            for name, dropdown in self.filters.items():
                column = "final" if name == "verdict" else name
                values = sorted({str(v) for v in self.df[column].dropna()}) if len(self.df) else []
                keep = dropdown.value if dropdown.value in values else ALL
                dropdown.options = [ALL, *values]
                dropdown.value = keep
            self._show_items()

    def _filtered(self) -> pd.DataFrame:
        df = self.df
        for name, dropdown in self.filters.items():
            if dropdown.value != ALL and len(df):
                column = "final" if name == "verdict" else name
                keys = set(df.loc[df[column].astype(str) == dropdown.value, "sample_key"])
                df = df[df["sample_key"].isin(keys)]
        return df

    def _show_items(self) -> None:
        with self._lock:
            self._list_items()

    def _list_items(self) -> None:
        df = self._filtered()
        groups = list(df.groupby(["run_id", "sample_key"], sort=False)) if len(df) else []
        groups.sort(key=lambda kv: min(WORST_FIRST.get(v, 9) for v in kv[1]["final"]))  # violations first
        self.items.options = [(_item_label(group), key) for key, group in groups]
        self.items.value = self.items.options[0][1] if self.items.options else None
        self._show_detail()

    def selected(self) -> pd.DataFrame:
        if self.items.value is None:
            return pd.DataFrame()
        run_id, key = self.items.value
        return self.df[(self.df["run_id"] == run_id) & (self.df["sample_key"] == key)]

    def _show_detail(self) -> None:
        group = self.selected()
        if not len(group):
            self.detail.value = "<i>no samples match</i>"
            return
        self.detail.value = item_html(group, self.spec, self.store.precedents(group.iloc[0]["clause"]))

    def overrule(self) -> None:
        group = self.selected()
        if not len(group):
            self.message.value = "<i>select a sample first</i>"
            return
        run_id, key = self.items.value
        try:
            overrule(self.store, key, self.verdict.value, self.note.value, run_id=run_id)
        except (KeyError, ValueError) as error:  # the sample is gone, or failed and has no answer
            self.message.value = f"<b>not overruled</b>: {esc(error)}"
            return
        self.message.value = (
            f"ruled <b>{esc(self.verdict.value)}</b>: stored as a precedent of {esc(group.iloc[0]['target'])}; "
            "the next run's judge prompts include it"
        )
        self.note.value = ""
        with self._lock:
            self.refresh()
            if (run_id, key) in [value for _, value in self.items.options]:
                self.items.value = (run_id, key)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if not len(self.df):
            self.refresh()
        display(self.widget)
