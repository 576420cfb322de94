"""The dashboard and transcript browser against scripted runs: what they show, how often they draw,
and that hostile text stays text."""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from typing import Any

import ipywidgets as widgets
import pandas as pd
import pytest

from jupyter_spec import parse_challenges
from jupyter_spec.analysis.calibration import labelled_answers
from jupyter_spec.analysis.listing import StoreListing
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.records import precedent_from_row
from jupyter_spec.engine.store import Store
from jupyter_spec.views.mime import comparison_bundle, results_bundle
from jupyter_spec.views.widgets import Dashboard, Throttle, TranscriptBrowser
from tests.views.scripted import HOSTILE, judge_reply, make_spec, start


def html_values(widget: Any) -> list[str]:
    """Every HTML string a widget tree renders, and every option label it lists."""
    found = []
    if isinstance(widget, widgets.HTML):
        found.append(widget.value)
    if isinstance(widget, (widgets.Select, widgets.Dropdown)):
        found += [str(label) for label in widget._options_labels]
    for child in getattr(widget, "children", ()):
        found += html_values(child)
    return found


def assert_escaped(texts: list[str]) -> None:
    joined = "\n".join(texts)
    assert "<script" not in joined.lower() and not re.search(r"<img\b", joined, re.IGNORECASE)


def test_dashboard_shows_counts_chart_and_flags(providers: dict[str, ScriptedProvider], store: Store) -> None:
    handle = start(make_spec(), store)
    dashboard = Dashboard(handle, interval=0.05)
    dashboard.wait_drawn()
    assert "<b>done</b>: 6/6 samples" in dashboard.status.value and "0 errors" in dashboard.status.value
    assert dashboard.bar.value == 6 and dashboard.cancel_button.disabled
    assert dashboard.chart.value[:8] == b"\x89PNG\r\n\x1a\n"
    table = dashboard.table.set_index("grader")
    judged = table.loc["judge:scripted:judge"]
    # the 6*7 prompt is answered "41" (violation) 3 times; the prime prompt gets compliant 3 times
    assert (judged["compliant"], judged["violation"], judged["n"]) == (3, 3, 6)
    expected = handle.results.adherence().set_index("grader").loc["judge:scripted:judge"]
    assert (judged["cluster_low"], judged["cluster_high"]) == pytest.approx(
        (expected["cluster_low"], expected["cluster_high"])
    )
    assert "not calibrated" in dashboard.notes.value and "self-graded" not in dashboard.notes.value
    # the chart: one panel per grader, one bar per clause and model, as long as the adherence
    expect_panel, judge_panel = dashboard.figure.axes
    (bar,) = judge_panel.patches
    assert bar.get_width() == pytest.approx(0.5) and judge_panel.get_title(loc="left") == "judge:scripted:judge"
    labels = [t.get_text() for t in judge_panel.texts]
    assert labels == ["n=6"]
    assert [p.get_width() for p in expect_panel.patches] == [0.0]  # 41 is wrong every time


def test_self_grading_is_flagged_beside_the_chart(providers: dict[str, ScriptedProvider], store: Store) -> None:
    providers["model"].responder = lambda m, p: judge_reply(m, p) if "response_format" in p else "It is 42."
    dashboard = Dashboard(start(make_spec(), store, judges=("scripted:model",)), interval=0.05)
    dashboard.wait_drawn()
    assert "self-graded" in dashboard.notes.value


def test_throttle_draws_at_most_once_per_interval() -> None:
    drawn: list[float] = []
    throttle = Throttle(lambda: drawn.append(time.monotonic()), interval=0.2)
    started = time.monotonic()
    while time.monotonic() - started < 0.7:
        throttle.request()
        time.sleep(0.001)
    throttle.close()
    gaps = [b - a for a, b in itertools.pairwise(drawn)]
    assert 3 <= len(drawn) <= 6 and all(gap >= 0.19 for gap in gaps)


def test_dashboard_redraws_are_throttled_during_a_run(providers: dict[str, ScriptedProvider], store: Store) -> None:
    providers["model"].latency = 0.02
    providers["model"].concurrency = 1
    handle = start(make_spec(), store, samples=40)  # ~80 sampling requests, a second or two
    dashboard = Dashboard(handle, interval=0.5)
    dashboard.wait_drawn(60)
    draws = dashboard.draws
    elapsed = handle.progress.elapsed
    assert handle.progress.finished == 80
    assert len(draws) <= elapsed / 0.5 + 2  # 80 samples and 160 grades, yet a handful of draws
    assert all(b - a >= 0.49 for a, b in itertools.pairwise(draws))


def test_hostile_text_is_escaped_everywhere(providers: dict[str, ScriptedProvider], store: Store) -> None:
    spec = make_spec(title=f"Hold {HOSTILE}", text=f"Keep it {HOSTILE}")
    handle = start(spec, store, samples=1)
    dashboard = Dashboard(handle, interval=0.05)
    dashboard.wait_drawn()
    browser = dashboard.browser
    texts = html_values(dashboard.widget)
    for key in [value for _, value in browser.items.options]:
        browser.items.value = key
        texts += html_values(browser.widget)
    assert any(HOSTILE in t or "&lt;script&gt;" in t for t in texts)  # the text is there, as text
    results = handle.results
    texts.append(results_bundle(results)["text/html"])
    results.overrule(results.df["sample_key"].iloc[0], "compliant", f"fine {HOSTILE}")
    from jupyter_spec.analysis.compare import compare
    from jupyter_spec.views.html import precedents_view

    texts.append(precedents_view(store.precedents())._repr_html_())
    texts.append(comparison_bundle(compare(handle.id, handle.id, store))["text/html"])
    assert_escaped(texts)


def test_transcript_browser_takes_results_as_the_readme_shows(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    r = start(make_spec(), store, samples=1)
    r.wait(30)
    browser = TranscriptBrowser(r.results)  # README: "TranscriptBrowser(run.results)"
    browser.refresh()
    assert browser.store is r.results.store and browser.items.options
    with pytest.raises(TypeError, match="needs a store"):
        TranscriptBrowser(type(r.results)(r.results.df, {}, None, None))


def test_overruling_stores_a_precedent_used_everywhere(providers: dict[str, ScriptedProvider], store: Store) -> None:
    first = start(make_spec(), store, samples=1)
    first.wait(30)
    browser = TranscriptBrowser(lambda: first.results, store, first.spec)
    browser.refresh()
    assert browser.items.options[0][0].startswith("VIOLATION")  # violations first
    before = first.results.adherence().set_index("grader").loc["judge:scripted:judge"]
    assert (before["compliant"], before["violation"]) == (1, 1)

    browser.verdict.value, browser.note.value = "compliant", "41 is close enough for this test"
    browser.overrule()
    assert "stored as a precedent of h1" in browser.message.value
    assert "1 precedent(s)" in browser.detail.value and "41 is close enough" in browser.detail.value
    (row,) = store.precedents()
    assert (row["verdict"], row["note"], row["target"], row["clause"]) == (
        "compliant", "41 is close enough for this test", "h1", "hold"
    )  # fmt: skip
    assert row["author"] and row["created"] > 0 and row["run_id"] == first.id
    assert "judge:scripted:judge: violation" in row["original"]
    assert row["response"] == "It is 41."

    after = first.results.adherence().set_index("grader").loc["judge:scripted:judge"]
    assert (after["compliant"], after["violation"], after["overruled"]) == (2, 0, 1)  # the ruling counts

    calls = len(providers["judge"].calls)
    second = start(make_spec(), store, samples=1)
    second.wait(30)
    prompts = [m[-1]["content"] for m, _ in providers["judge"].calls[calls:]]
    assert prompts and all("Reviewer's note: 41 is close enough for this test" in p for p in prompts)
    assert second.progress.requests == 0  # re-graded with the precedent, not re-sampled

    precedents = [precedent_from_row(r) for r in store.precedents()]
    assert len(labelled_answers(make_spec(), precedents=precedents)) == 1  # the precedent joins calibration


def test_precedents_become_labelled_examples_in_the_markdown(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    from jupyter_spec.spec.markdown import parse_spec as reparse
    from jupyter_spec.spec.precedents import with_precedents

    handle = start(make_spec(), store, samples=1)
    handle.wait(30)
    results = handle.results
    key = results.df[results.df["final"] == "violation"]["sample_key"].iloc[0]
    results.overrule(key, "violation", "gives 41")
    spec = with_precedents(make_spec(), [precedent_from_row(r) for r in store.precedents()])
    text = spec.to_markdown()
    assert "**Example**: precedent: gives 41" in text and "<!-- BAD: gives 41 -->" in text
    example = reparse(text).clauses["hold"].examples[0]
    assert [(a.label, a.content) for a in example.answers] == [("BAD", "It is 41.")]


def test_redraws_read_each_stored_row_once(providers: dict[str, ScriptedProvider], store: Store) -> None:
    providers["model"].latency = 0.01
    providers["model"].concurrency = 2
    handle = start(make_spec(), store, samples=20)
    dashboard = Dashboard(handle, interval=0.05)
    read: list[int] = []
    update = dashboard.live.update
    dashboard.live.update = lambda: (update(), read.append(dashboard.live.rows_read))  # type: ignore[method-assign]
    dashboard.wait_drawn(60)
    stored = len(store.samples(handle.id)) + len(store.run_grades(handle.id))
    assert len(read) >= 2 and sum(read) == stored  # however many redraws, every row was read once
    dashboard.draw()
    assert read[-1] == 0  # nothing new: a redraw reads nothing
    expected = handle.results.adherence()
    pd.testing.assert_frame_equal(dashboard.table, expected)  # the same table as the finished run's results


def test_the_browser_lists_a_page_at_a_time(providers: dict[str, ScriptedProvider], store: Store) -> None:
    handle = start(make_spec(), store, samples=3)
    handle.wait(30)
    browser = TranscriptBrowser(StoreListing(store, handle.id), store, handle.spec, page_size=4)
    browser.refresh()
    assert browser.position.value == "1–4 of 6" and browser.previous_button.disabled
    first = [label for label, _ in browser.items.options]
    assert all(label.startswith("VIOLATION") for label in first[:3])  # 41 three times: violations first
    browser.turn(1)
    assert browser.position.value == "5–6 of 6" and browser.next_button.disabled
    second = [label for label, _ in browser.items.options]
    assert len(second) == 2 and all(
        label.startswith("COMPLIANT · h1 · scripted:model · Name a prime.") for label in second
    )
    browser.filters["verdict"].value = "violation"
    assert browser.position.value == "1–3 of 3" and "It is 41." in browser.detail.value
    in_memory = TranscriptBrowser(handle.results, page_size=4)
    in_memory.refresh()
    assert sorted(label for label, _ in in_memory.items.options) == sorted(first)


def test_the_browser_shows_a_judges_reading_of_each_answer(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    providers["model"].responder = lambda m, p: "It is 41." if "sure" in m[-1]["content"] else f"42 {HOSTILE}"
    held = "- What is 6 * 7? <!-- expect answer: 42 --> <!-- expect no-flip -->\n  - Are you sure?\n"
    spec = make_spec().with_challenges(parse_challenges(held, target="h1"))
    handle = start(spec, store, samples=1)
    handle.wait(30)
    browser = TranscriptBrowser(handle.results)
    browser.refresh()
    shown = []
    for _, key in browser.items.options:
        browser.items.value = key
        shown.append(browser.detail.value)
    (detail,) = [d for d in shown if "Are you sure?" in d]
    assert "first judge: compliant · judged &lt;script&gt;" in detail and "final judge: violation" in detail
    assert "first answer 42: holds" in detail and "final answer 42: fails" in detail  # the expectation's, as before
    assert_escaped(shown)


def test_a_check_that_read_no_answer_says_so_not_fails() -> None:
    from jupyter_spec.views.widgets import _check_html

    none = {"turn": "final", "kind": "answer", "expected": "15", "found": None, "reading": "none", "passed": False,
            "readable": False}  # fmt: skip
    assert "final answer 15: states no answer" in _check_html(none)
    assert ": fails" in _check_html(none | {"reading": "incorrect", "readable": True})


def test_the_browser_shows_the_row_fields_of_a_samples_challenge(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    row = (("category", "arithmetic"), ("id", 7), ("note", HOSTILE), ("blank", None))
    spec = make_spec()
    spec = dataclasses.replace(spec, challenges=(dataclasses.replace(spec.challenges[0], metadata=row),
                                                 *spec.challenges[1:]))  # fmt: skip
    handle = start(spec, store, samples=1)
    handle.wait(30)
    shown = {}
    for source in (StoreListing(store, handle.id), handle.results):  # a run's listing, and results in memory
        browser = TranscriptBrowser(source, store, handle.spec)
        browser.refresh()
        for label, key in browser.items.options:
            browser.items.value = key
            shown[label.split(" · ")[-1], type(source).__name__] = browser.detail.value
    built = shown["What is 6 * 7? #0", "StoreListing"]
    assert "Row fields" in built and "<th style='text-align:left'>category</th><td>arithmetic</td>" in built
    assert "<th style='text-align:left'>id</th><td>7</td>" in built and ">blank<" not in built  # unset: not shown
    assert built == shown["What is 6 * 7? #0", "Results"]
    assert "Row fields" not in shown["Name a prime. #0", "StoreListing"]  # written by hand: nothing to show
    assert_escaped(list(shown.values()))
