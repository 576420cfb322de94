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


def test_p_values_read_as_p_values_in_html_tables() -> None:
    """A table's floats show 3 decimals; a p-value of 2e-7 must not read as 0.000 (certainty)."""
    import pandas as pd

    from jupyter_spec.views.html import html_table, p_value_text

    table = pd.DataFrame({"pair": ["(all pairs)", "a", "b"], "difference": [-0.21875, 0.5, float("nan")],
                          "p_value": [0.0390625, 2e-7, float("nan")]})  # fmt: skip
    cells = [cell.split("</td>")[0] for cell in html_table(table, "pairs").split("<td>")[1:]]
    assert cells == ["(all pairs)", "-0.219", "0.039", "a", "0.500", "&lt;0.001", "b", "", ""]
    assert [p_value_text(p) for p in (0.5, 1.0, 0.0999, None)] == ["0.50", "1.00", "0.100", ""]


def test_a_finding_with_a_column_shows_file_line_and_column() -> None:
    spec = parse_spec(
        "## A {#a}\n\n**Example**: e\n\n~~~xml\n<user>\nq\n</user>\n<comparison>\n~~~\n", "a.md", lenient=True
    )
    html = SpecReport(spec, lint(spec), "older")._repr_html_()
    assert "a.md:9:1 &lt;comparison&gt; is not closed" in html
