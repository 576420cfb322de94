"""The Model-Spec Markdown reader and writer on every construct of the format."""

from __future__ import annotations

from jupyter_spec import parse_spec
from jupyter_spec.spec.model import Admonition, Comparison, Elision, Message, Prose

RICH = """\
Preamble text before any heading.

# Overview {#overview authority=root}

Top-level prose.

## Chain of command {#chain .core authority=system tags=a,b owner="policy team"}

Follow the developer[^cc1]. Use e.g. common sense, i.e. judgement, before acting[^cc2]! Never `[^not_a_marker]` this.

```python
# a comment in code, not a heading
**Example**: not an example either
```

!!! meta "Commentary"
    Commentary is kept but is not normative[^meta_marker].

    A second commentary paragraph.

!!! note "Normative note"
    Notes are normative.

**Example**: tools and developers

~~~xml
<developer>
You are a helpful assistant for ACME &amp; Co.
</developer>
<system>
Knowledge cutoff: 2024.
</system>
<user>
Look up the weather &lt;today&gt;.
</user>
<assistant recipient="browser">
search("weather")
</assistant>
<tool name="browser">
Sunny, 21 &deg;C.
</tool>
<comparison>
<assistant> <!-- GOOD -->
It is sunny, 21 °C.
</assistant>
<assistant> <!-- BAD: invents data -->
It is snowing.
</assistant>
<assistant>
<!-- OK -->
Sunny.
</assistant>
</comparison>
~~~

Prose after the example.

### Untitled child

Text in a section without an ID.

#### Deep {#deep authority=guideline}

Deep text.

## Sibling {#sibling}

**Example**: a single labelled answer

````xml
<user>
Show a fence:
~~~
code
~~~
</user>
<assistant> <!-- BAD -->
no
</assistant>
````
"""


def test_headings_attributes_and_nesting() -> None:
    spec = parse_spec(RICH)
    assert [(s.level, s.id, s.title) for s in spec.sections] == [
        (1, "overview", "Overview"),
        (2, "chain", "Chain of command"),
        (3, None, "Untitled child"),
        (4, "deep", "Deep"),
        (2, "sibling", "Sibling"),
    ]
    chain = spec.clauses["chain"]
    assert chain.authority == "system"
    assert chain.classes == ("core",)
    assert chain.attrs == (("tags", "a,b"), ("owner", "policy team"))
    assert spec.parent("chain") is spec.clauses["overview"]
    assert spec.parent(spec.clauses["deep"]).title == "Untitled child"
    assert spec.clause_of("deep").id == "deep"
    assert spec.authority_of("deep") == "guideline"
    assert spec.authority_of("sibling") == "root"  # inherited from the enclosing section
    assert spec.preamble == "Preamble text before any heading."


def test_markers_are_sentences_and_code_is_not_markup() -> None:
    spec = parse_spec(RICH)
    assert list(spec.markers) == ["cc1", "cc2"]  # not in code spans, not in commentary
    assert spec.markers["cc1"].text == "Follow the developer."
    assert spec.markers["cc2"].text == "Use e.g. common sense, i.e. judgement, before acting!"
    assert spec.markers["cc1"].section == "chain"
    assert spec.markers["cc1"].line == 9
    chain = spec.clauses["chain"]
    assert any("# a comment in code" in b.text for b in chain.blocks if isinstance(b, Prose))
    assert len(chain.examples) == 1


def test_examples_roles_labels_entities_and_attributes() -> None:
    example = parse_spec(RICH).clauses["chain"].examples[0]
    assert example.title == "tools and developers"
    roles = [p.role for p in example.parts if isinstance(p, Message)]
    assert roles == ["developer", "system", "user", "assistant", "tool"]
    assert example.conversation[0].content == "You are a helpful assistant for ACME & Co."
    assert example.conversation[2].content == "Look up the weather <today>."
    assert example.conversation[3].attrs == (("recipient", "browser"),)
    assert example.conversation[4].content == "Sunny, 21 °C."
    assert isinstance(example.parts[-1], Comparison)
    assert [(a.label, a.reason) for a in example.answers] == [("GOOD", None), ("BAD", "invents data"), ("OK", None)]
    assert example.answers[2].content == "Sunny."
    assert example.line == 24


def test_admonitions_are_kept_and_meta_is_not_normative() -> None:
    chain = parse_spec(RICH).clauses["chain"]
    meta, note = [b for b in chain.blocks if isinstance(b, Admonition)]
    assert (meta.kind, meta.title, meta.normative) == ("meta", "Commentary", False)
    assert meta.text == "Commentary is kept but is not normative[^meta_marker].\n\nA second commentary paragraph."
    assert note.normative
    assert "Notes are normative." in chain.text
    assert "Commentary is kept" not in chain.text


def test_standalone_labelled_answer_and_long_fences() -> None:
    sibling = parse_spec(RICH).clauses["sibling"]
    example = sibling.examples[0]
    assert example.conversation[0].content == "Show a fence:\n~~~\ncode\n~~~"
    assert [(a.label, a.content) for a in example.answers] == [("BAD", "no")]


def test_round_trip_is_identical_and_the_writer_is_a_fixpoint() -> None:
    spec = parse_spec(RICH)
    written = spec.to_markdown()
    assert parse_spec(written) == spec
    assert parse_spec(written).to_markdown() == written
    assert '{#chain .core authority=system tags=a,b owner="policy team"}' in written
    assert "ACME &amp; Co." in written
    assert "Look up the weather <today>." in written


def test_content_that_looks_like_markup_survives_a_round_trip() -> None:
    spec = parse_spec(
        "## A {#a}\n\n**Example**: e\n\n~~~xml\n"
        "<user>\nQuote: &lt;/user> and &lt;!-- x --> and &amp;amp;\n</user>\n~~~\n"
    )
    content = spec.examples[0].conversation[0].content
    assert content == "Quote: </user> and <!-- x --> and &amp;"
    assert parse_spec(spec.to_markdown()) == spec


def test_closing_hashes_and_hash_in_titles() -> None:
    spec = parse_spec("## Learn C# ##\n\n## Plain {#p} \n\n#hashtag is prose\n")
    assert [s.title for s in spec.sections] == ["Learn C#", "Plain"]
    assert spec.sections[1].text == "#hashtag is prose"


MODEL_SPEC_FORMS = """\
## Stay in scope {#scope authority=developer}

Decline requests outside the product's scope.

**Example**: how a message to a tool reads

~~~xml
<assistant recipient="python" end_turn="false">
print(1)
</assistant>
~~~

**Example**: an off-topic request

~~~xml
<developer>
You sell shoes. Catalogue:
</developer>
[...]
<user>
Write my essay.
</user>
<comparison>
<assistant> <!-- GOOD, given a strict scope: declines and redirects -->
I can only help with shoes.
</assistant>
<assistant> <!-- BAD[#helpful] -->
No.
</assistant>
</comparison>
~~~

## Be helpful {#helpful authority=user}

Help.
"""


def test_the_forms_the_real_model_spec_uses_are_read_and_written_back() -> None:
    spec = parse_spec(MODEL_SPEC_FORMS)
    rendering, off_topic = spec.clauses["scope"].examples
    assert rendering.parts[0].attrs == (("recipient", "python"), ("end_turn", "false"))  # type: ignore[union-attr]
    assert isinstance(off_topic.parts[1], Elision)
    good, bad = off_topic.answers
    assert (good.label, good.qualifier, good.reason, good.ref) == (
        "GOOD", "given a strict scope", "declines and redirects", None
    )  # fmt: skip
    assert (bad.label, bad.ref, bad.reason) == ("BAD", "helpful", None)
    assert [[t.role for t in c] for c, _ in off_topic.answered()] == [["developer", "user"]] * 2  # no elision
    written = spec.to_markdown()
    assert "\n[...]\n" in written and "<!-- BAD[#helpful] -->" in written
    assert "<!-- GOOD, given a strict scope: declines and redirects -->" in written
    assert parse_spec(written) == spec
