"""The test double prints SHOW CREATE PIPELINE as the conformance corpus shows it, from its own grammar (no module code).

* parse -> render: the double reads each case's text and prints it back character for character;
* created_by -> SHOW CREATE: the statement a case says created the pipeline, kept the way the double's engine keeps a
  new pipeline (``as_created``), prints the case's text (the clauses printed by default, qualified targets ...).
"""

from __future__ import annotations

import pytest

from tests.conformance import corpus
from tests.lab.pipelines import grammar

CASES = [c for c in corpus.load("singlestore", "show_create_pipeline") if "double" not in c.extra]
CREATED = [c for c in CASES if "created_by" in c.extra]


@pytest.mark.parametrize("case", CASES, ids=corpus.ids(CASES))
def test_parse_then_render_gives_the_text_back(case: corpus.Case) -> None:
    definition, _or_replace, _if_not_exists = grammar.parse_create(case.output)
    assert grammar.render(definition, with_credentials=bool(case.extra.get("with_credentials"))) == case.output


@pytest.mark.parametrize("case", CREATED, ids=corpus.ids(CREATED))
def test_a_created_pipeline_is_printed_as_the_corpus_shows(case: corpus.Case) -> None:
    definition, _or_replace, _if_not_exists = grammar.parse_create(case.extra["created_by"])
    shown = grammar.render(grammar.as_created(definition), with_credentials=bool(case.extra.get("with_credentials")))
    assert shown == case.output


def test_every_case_the_double_does_not_print_says_why() -> None:
    skipped = [c for c in corpus.load("singlestore", "show_create_pipeline") if "double" in c.extra]
    assert skipped and all(c.constructed and str(c.extra["double"]).strip() for c in skipped)


def test_the_qualified_form_is_accepted_in_create_too() -> None:
    case = next(c for c in CASES if c.name.endswith("json_set"))
    definition, _, _ = grammar.parse_create(case.output)
    assert [m.target for m in definition.mapping] == ["transaction_id", "@ts_ms"] and definition.qualified
    assert grammar.assignments(definition.set_clause) == [("created_at", "FROM_UNIXTIME(@ts_ms / 1000)"), ("source", "'kafka'")]
