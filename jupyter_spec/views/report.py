"""One run as ONE self-contained HTML file: to attach to a CI job, mail, or open years later.

Self-contained means no network and no code: CSS inline, the chart a base64 PNG `data:` URI, no
`<script>`, no external URL. Everything from the spec, the store or a model is untrusted and is
escaped (`html.escape`, or pandas' escaping through `html_table`) before it is written.
"""

from __future__ import annotations

import base64
import time
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from jupyter_spec.analysis.results import Results
from jupyter_spec.engine.records import RunRecord
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.views.html import html_table
from jupyter_spec.views.mime import results_html
from jupyter_spec.views.plots import adherence_figure, png

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td { white-space: pre-wrap; word-break: break-word; max-width: 40em; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: 600; } dd { margin: 0; }
img { max-width: 100%; height: auto; }
"""
SHOWN = 600  # characters of a response or reasoning shown in the samples table
THRESHOLD_ATTR = "min_adherence"


def _clip(value: Any) -> Any:
    return value[: SHOWN - 3] + "..." if isinstance(value, str) and len(value) > SHOWN else value


def clauses_table(spec: Spec) -> pd.DataFrame:
    """The clauses as the run saw them: ID, title, authority, threshold and wording."""
    rows = [
        {"clause": c.id, "title": c.title, "authority": spec.authority_of(c) or "",
         "min_adherence": dict(c.attrs).get(THRESHOLD_ATTR, ""), "text": _clip(c.text)}
        for c in spec.clauses.values()
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["clause", "title", "authority", "min_adherence", "text"])


def samples_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per sample and grader: what the model said and what the grader made of it."""
    columns = [
        "clause",
        "challenge_title",
        "model",
        "sample_index",
        "grader",
        "final",
        "response",
        "reasoning",
        "error",
    ]
    table = df.reindex(columns=columns).copy()
    for column in ("response", "reasoning", "error"):
        table[column] = table[column].map(_clip)
    return table


def _facts(record: RunRecord) -> str:
    config = record.config
    created = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(record.created))
    facts = {
        "run": record.id,
        "status": record.status,
        "started": created,
        "models": ", ".join(map(str, config.get("models", []))),
        "judges": ", ".join(map(str, config.get("judges", []))) or "none",
        "graders": ", ".join(map(str, config.get("graders", []))) or "none",
        "samples per challenge": str(config.get("samples", "")),
        "spec": str(config.get("spec", "")),
    }
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.items()) + "</dl>"


def report_html(record: RunRecord, results: Results, spec: Spec) -> str:
    """The whole document: run facts, the adherence chart, the results tables, clauses, samples."""
    adherence, flips, pairs = results.adherence(), results.flip_rate(), results.paired()
    chart = base64.b64encode(png(adherence_figure(adherence, f"Adherence per clause, run {record.id}"))).decode()
    title = f"jupyter-spec report: run {record.id}"
    body = [
        f"<h1>{escape(title)}</h1>",
        _facts(record),
        "<h2>Adherence</h2>",
        f'<img alt="{escape(f"Adherence per clause, run {record.id}")}" src="data:image/png;base64,{chart}">',
        results_html(results, adherence, flips, pairs),
        "<h2>Clauses</h2>",
        html_table(clauses_table(spec), f"{len(spec.clauses)} clause(s), as worded in this run"),
        "<h2>Samples</h2>",
        html_table(samples_table(results.df), f"{len(results.df)} grade(s), one row per sample and grader"),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def write_report(store: Store, run_id: str, path: str | Path) -> int:
    """Write the report of a stored run to `path`; returns its size in bytes."""
    record = store.run(run_id)
    if record is None:
        raise KeyError(f"no run {run_id!r} in {store.path}")
    spec = parse_spec(record.config.get("spec_markdown", ""), source=f"run {run_id}")
    text = report_html(record, Results.of_runs([run_id], store, spec), spec)
    data = text.encode("utf-8", errors="replace")
    Path(path).write_bytes(data)
    return len(data)
