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

from jupyter_spec.analysis.listing import FILTERS, FrameListing, Item, Listing, StoreListing
from jupyter_spec.analysis.live import LiveAdherence
from jupyter_spec.analysis.results import ROW_PREFIX, Results, calibrations, row_columns
from jupyter_spec.core.ids import VERDICTS
from jupyter_spec.engine.background import yield_the_cpu
from jupyter_spec.engine.graders import ModelJudge
from jupyter_spec.engine.graders.deterministic import outcome
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
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="jupyter-spec-redraw", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wake.set()

    def close(self, timeout: float = 30.0) -> None:
        """Draw once more, after the interval but without the longer pause a slow draw earns, then stop."""
        self._closing.set()
        self._wake.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _loop(self) -> None:
        yield_the_cpu()  # a redraw never keeps the cell you run waiting for a core
        while True:
            self._wake.wait()
            self._wake.clear()
            started = time.monotonic()
            self.calls.append(started)
            try:
                self.action()
            except Exception:  # a failed draw must not kill later ones
                log.exception("redraw failed")
            if self._closing.is_set() and not self._wake.is_set():
                return
            took = time.monotonic() - started
            if self._closing.wait(max(0.0, started + max(self.interval, took / self.duty) - time.monotonic())):
                time.sleep(max(0.0, started + self.interval - time.monotonic()))  # closing: the interval only


def _status_line(progress: Progress) -> str:
    return f"<b>{esc(progress.status)}</b>: " + " · ".join(esc(part) for part in progress.parts())


class Dashboard:
    """Progress, cancel, the adherence chart and the judge's standing, live while a run streams in.

    Figures come from the store, never from the run's memory: `LiveAdherence` counts what was
    stored since the last redraw, so a redraw costs what arrived since the previous one; the
    transcript browser lists a page of samples per query once the run has ended.
    """

    def __init__(self, run: Run, interval: float = 0.5) -> None:
        self.run = run
        self.status = widgets.HTML()
        self.bar = widgets.IntProgress(min=0, max=max(1, run.progress.total), description="samples")
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", button_style="warning")
        self.cancel_button.on_click(lambda _: self.run.cancel())
        self.chart = widgets.Image(format="png", layout=widgets.Layout(max_width="720px"))
        self.notes = widgets.HTML()
        self.browser = TranscriptBrowser(StoreListing(run.store, run.id), run.store, run.spec)
        self.widget = widgets.VBox(
            [widgets.HBox([self.bar, self.cancel_button]), self.status, self.chart, self.notes, self.browser.widget]
        )
        self.table = pd.DataFrame()
        self.figure: Any = None  # the last chart drawn (a matplotlib Figure)
        judges = [g.model for g in run.graders if isinstance(g, ModelJudge)]
        spec_hash = run.spec.hash if judges else None  # the spec's version, for its judges' calibrations
        self._standing = Results(pd.DataFrame(), calibrations(run.store, judges, spec_hash))
        graders = run.config.get("graders") or [g.id for g in run.graders]
        targets = run.config.get("grader_targets")
        self.live = LiveAdherence(run.store, run.id, graders, lambda: run.plan, targets)
        self._throttle = Throttle(self.draw, interval)
        self._finished = False
        run.subscribe(self._on_progress)

    def _on_progress(self, progress: Progress) -> None:
        self._throttle.request()
        if progress.ended and not self._finished:
            self._finished = True
            threading.Thread(target=self._throttle.close, daemon=True).start()

    def draw(self) -> None:
        """Redraw from the rows stored since the last redraw (on the throttle's thread)."""
        progress = self.run.progress
        self.status.value = _status_line(progress)
        self.bar.max = max(1, progress.total)
        self.bar.value = progress.finished
        ended = progress.ended  # read before the store: the run's last rows are stored before it ends
        self.cancel_button.disabled = ended
        self.live.update()
        table = self.live.table()
        table["calibration"] = table["grader"].map(self._standing.calibration_summary)
        if len(table) and not table.equals(self.table):  # the chart is the costly part: only when it changed
            self.figure = adherence_figure(table)
            self.chart.value = png(self.figure)
        self.table = table
        self.notes.value = "<br>".join(esc(line) for line in notes(table))
        if ended:
            self.browser.refresh()

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


def _turns_html(transcript: list[dict[str, str]]) -> str:
    return "".join(
        f"<div class='js-turn'><b>{esc(turn['role'])}</b>"
        f"<pre style='white-space:pre-wrap'>{esc(turn['content'])}</pre></div>"
        for turn in transcript
    )


def item_html(group: pd.DataFrame, spec: Spec | None, precedents: Sequence[dict[str, Any]] = ()) -> str:
    """Everything about one sample: clause and its precedents, its table row's fields, conversation, answer,
    grades, ruling."""
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
    fields = [(column[len(ROW_PREFIX) :], first[column]) for column in row_columns(group) if _given(first[column])]
    if fields:  # the table row its challenge was built from
        shown = "".join(f"<tr><th style='text-align:left'>{esc(name)}</th><td>{esc(value)}</td></tr>"
                        for name, value in fields)  # fmt: skip
        parts.append(f"<details class='js-row' open><summary>Row fields</summary><table>{shown}</table></details>")
    if first["status"] != "ok":
        parts.append(f"<p><b>sampling failed</b>: {esc(first['error'])}</p>")
    transcript = first["transcript"] if isinstance(first["transcript"], list) else []
    parts.append(_turns_html(transcript))
    for _, grade in group.iterrows():
        score = "" if pd.isna(grade["score"]) else f" (score {grade['score']:.2f})"
        self_flag = " · self-graded" if grade["self_graded"] is True else ""
        checks = "".join(map(_check_html, grade["checks"] if isinstance(grade["checks"], list) else []))
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


def _given(value: Any) -> bool:
    """Whether a sample's challenge has a field: a challenge written by hand has None (or NaN) there."""
    return not (value is None or (isinstance(value, float) and value != value))


def _check_html(check: dict[str, Any]) -> str:
    """One reading of one answer: an expectation that holds or fails, or a judge's verdict and why."""
    turn = esc(check.get("turn", ""))
    if check.get("kind") == "judge":
        why = check.get("error") or check.get("reasoning")
        return f"<li>{turn} judge: {esc(check.get('verdict'))}{' · ' + esc(why) if why else ''}</li>"
    found = f" (found {esc(check['found'])})" if check.get("found") else ""
    return f"<li>{turn} {esc(check.get('kind'))} {esc(check.get('expected'))}: {esc(outcome(check))}{found}</li>"


class TranscriptBrowser:
    """Filter samples, read why each was judged as it was, and overrule a verdict with a note.

    Samples are listed a page at a time (`page_size`, violations first) from a `Listing`: the
    store's, for a run, or one over `Results` in memory; a sample's transcript is read when shown.
    """

    def __init__(
        self,
        source: Callable[[], Results] | Results | Listing,
        store: Any = None,
        spec: Spec | None = None,
        page_size: int = 100,
    ) -> None:
        if isinstance(source, Results):  # `TranscriptBrowser(run.results)`: fixed results, their store
            results = source
            source, store, spec = (lambda: results), store or results.store, spec or results.spec
        if store is None:
            raise TypeError("TranscriptBrowser needs a store: pass Results that have one, or store=...")
        self.source = source
        self.store = store
        self.spec = spec
        self.page_size = page_size
        self.listing: Listing | None = None
        self.offset = 0
        self.total = 0
        self._lock = threading.RLock()  # refreshed by the dashboard's redraw thread and by the kernel
        self.filters = {
            name: widgets.Dropdown(description=name, options=[ALL], value=ALL, layout=widgets.Layout(width="220px"))
            for name in FILTERS
        }
        for dropdown in self.filters.values():
            dropdown.observe(lambda _: self._show_items(first_page=True), names="value")
        self.items = widgets.Select(options=[], rows=8, layout=widgets.Layout(width="100%"))
        self.items.observe(lambda _: self._show_detail(), names="value")
        self.previous_button = widgets.Button(description="Previous", icon="arrow-left")
        self.next_button = widgets.Button(description="Next", icon="arrow-right")
        self.previous_button.on_click(lambda _: self.turn(-1))
        self.next_button.on_click(lambda _: self.turn(1))
        self.position = widgets.HTML()
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
                widgets.HBox([self.previous_button, self.position, self.next_button]),
                self.detail,
                widgets.HBox([self.verdict, self.note, self.overrule_button]),
                self.message,
            ]
        )

    def refresh(self, results: Results | None = None) -> None:
        """List again: from `results` if given, else from the source (a `Listing`, or Results it makes)."""
        with self._lock:
            if results is None and callable(self.source):
                results = self.source()
            if results is not None:
                self.spec = results.spec or self.spec
                self.listing = FrameListing(results)
            else:
                self.listing = self.source  # type: ignore[assignment]
            assert self.listing is not None
            values = self.listing.values()
            for name, dropdown in self.filters.items():
                keep = dropdown.value if dropdown.value in values[name] else ALL
                dropdown.options = [ALL, *values[name]]
                dropdown.value = keep
            self._show_items()

    def turn(self, pages: int) -> None:
        """Show the next (1) or previous (-1) page."""
        with self._lock:
            self.offset = min(max(0, self.offset + pages * self.page_size), max(0, self.total - 1))
            self._show_items()

    def _show_items(self, first_page: bool = False) -> None:
        with self._lock:
            if first_page:
                self.offset = 0
            self._list_items()

    def _list_items(self) -> None:
        if self.listing is None:
            return
        chosen = {name: d.value for name, d in self.filters.items() if d.value != ALL}
        self.total, items = self.listing.page(chosen, self.offset, self.page_size)
        if not items and self.offset:  # the page emptied (fewer samples match now): back to the first
            self.offset = 0
            self.total, items = self.listing.page(chosen, 0, self.page_size)
        self._set_options(items)
        last = min(self.offset + len(items), self.total)
        self.position.value = f"{self.offset + 1 if items else 0}–{last} of {self.total}"
        self.previous_button.disabled = self.offset == 0
        self.next_button.disabled = last >= self.total
        self._show_detail()

    def _set_options(self, items: list[Item]) -> None:
        self.items.options = items
        self.items.value = items[0][1] if items else None

    def selected(self) -> pd.DataFrame:
        if self.items.value is None or self.listing is None:
            return pd.DataFrame()
        run_id, key = self.items.value
        return self.listing.rows(run_id, key)

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

        if self.listing is None:
            self.refresh()
        display(self.widget)
