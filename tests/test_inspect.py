"""Looking at the knowledge: rules list, rules show, rules graph."""

import json

from offercoach.cli import main


def test_rules_list_is_a_table_with_where_and_layer(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "list", "-k", str(tiny_kb)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "title", "sources", "salience", "where", "layer"]
    assert lines[2].split() == ["promise", "Accepting", "is", "a", "promise", "s1", "0",
                                f"{tiny_kb / 'kb.yaml'}:20", str(tiny_kb)]
    assert len(lines) == 2 + 5


def test_rules_list_json(runner, tiny_kb):
    rows = json.loads(runner.invoke(main, ["rules", "list", "-k", str(tiny_kb), "--format", "json"]).stdout)
    assert rows[1] == {"id": "agency-word-spreads", "title": "Word spreads", "sources": ["s1"], "salience": 0,
                       "where": f"{tiny_kb / 'kb.yaml'}:26", "layer": str(tiny_kb)}


def test_rules_show_a_rule_as_written_and_in_plain_words(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "show", "agency-word-spreads", "-k", str(tiny_kb)])
    assert result.exit_code == 0
    assert result.stdout == f"""\
rule agency-word-spreads  ({tiny_kb / 'kb.yaml'}:26, layer '{tiny_kb}')

  - id: agency-word-spreads
    title: Word spreads
    when: [{{fact: committed}}, {{answer: agency, is: yes}}]
    then: {{conclude: [risky], recommend: [careful]}}
    sources: [s1]
    rationale: Agencies talk.

  When all of these hold:
    - committed (You made a promise)
    - agency is yes
  it concludes:
    - fact risky: Word spreads.
    - recommendation careful: Careful
  Why it matters: Agencies talk.
  Sources: Section one (s1)
"""


def test_rules_show_works_for_questions_and_verdicts(runner, tiny_kb):
    question = runner.invoke(main, ["rules", "show", "genuine", "-k", str(tiny_kb)])
    assert question.stdout.endswith("  Allowed answers: yes, no, unknown\n  Read by: keep-word, back-out\n")
    verdict = runner.invoke(main, ["rules", "show", "honour", "-k", str(tiny_kb)])
    assert verdict.stdout.endswith("  Priority: 1\n  Proposed by: keep-word, b-case\n")


def test_rules_show_a_fact_with_the_rules_that_conclude_and_read_it(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "show", "committed", "-k", str(tiny_kb)])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"""\
fact committed  ({tiny_kb / 'kb.yaml'}:17, layer '{tiny_kb}')

  - {{id: committed, meaning: You made a promise.}}

  Concluded by: promise
  Read by: agency-word-spreads, keep-word, back-out
"""


def test_rules_show_a_recommendation_with_the_rules_that_give_it(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "show", "careful", "-k", str(tiny_kb)])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"""\
recommendation careful  ({tiny_kb / 'kb.yaml'}:51, layer '{tiny_kb}')

  - {{id: careful, title: Careful, advice: Be careful., sources: [s1]}}

  Given by: agency-word-spreads
  Sources: Section one (s1)
"""


def test_rules_show_an_unknown_id_exits_2(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "show", "keep-wrd", "-k", str(tiny_kb)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "offercoach: no item 'keep-wrd' in the knowledge; did you mean 'keep-word'?\n"


def test_rules_graph_mermaid_shows_what_rules_read_and_write(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "graph", "-k", str(tiny_kb)])
    lines = result.stdout.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  r_keep_word("rule: keep-word")' in lines
    assert "  q_genuine -. not .-> r_keep_word" in lines
    assert "  f_committed --> r_agency_word_spreads" in lines
    assert "  r_agency_word_spreads --> rec_careful" in lines
    assert "  r_keep_word --> v_honour" in lines


def test_rules_graph_dot(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "graph", "-k", str(tiny_kb), "--format", "dot"])
    lines = result.stdout.splitlines()
    assert (lines[0], lines[-1]) == ("digraph offercoach {", "}")
    assert '  "question:genuine" -> "rule:keep-word" [style=dashed, label=not];' in lines
    assert '  "rule:promise" -> "fact:committed";' in lines


def test_rules_show_a_section_with_what_cites_it(runner, tiny_kb):
    result = runner.invoke(main, ["rules", "show", "s1", "-k", str(tiny_kb)])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"""\
section s1  ({tiny_kb / 'kb.yaml'}:2, layer '{tiny_kb}')

  - {{id: s1, title: Section one, summary: Something.}}

  Cited by rules: promise, agency-word-spreads, keep-word, back-out, b-case
  Cited by recommendations: careful
"""


def test_rules_list_shows_where_each_rule_is_from_its_layer(runner):
    from knowledge_bases import built_in

    line = built_in().rules["situation-unclear"].where.line
    result = runner.invoke(main, ["rules", "list"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2].split() == [
        "situation-unclear", "Work", "out", "where", "you", "stand", "before", "deciding", "anything", "intro", "0",
        f"default/rules.yaml:{line}", "default"]
