"""Spec text is untrusted: every HTML view escapes it."""

from __future__ import annotations

from jupyter_spec import lint, parse_spec
from jupyter_spec.frontdoors.magics import TextView
from jupyter_spec.views.html import SpecReport

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def test_reports_escape_titles_ids_and_findings() -> None:
    spec = parse_spec(f"## {HOSTILE} {{#x tags=a}}\n\nBe appropriate {HOSTILE}[^m1].\n")
    html = SpecReport(spec, lint(spec), HOSTILE, footer=HOSTILE)._repr_html_()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html


def test_text_views_escape() -> None:
    html = TextView(HOSTILE)._repr_html_()
    assert html.startswith("<pre>") and "<script>" not in html
