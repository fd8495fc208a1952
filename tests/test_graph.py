"""graph.py: what each rule reads and writes, drawn whole as Mermaid and as Graphviz DOT."""

import pytest
from knowledge_bases import knowledge_from

from offercoach.engine.graph import dot, mermaid

# Every kind of node and edge: a fact and its absence, 'not' inside 'any', a rule that reads the verdict.
GRAPH_KB = """\
    sections:
      - {id: s, title: S, summary: S.}
    questions:
      - {id: q, prompt: Q?, help: H., values: {yes: Yes, no: No}}
      - {id: two-words, prompt: R?, help: H., values: {yes: Yes, no: No}}
    facts:
      - {id: f, meaning: F holds.}
    recommendations:
      - {id: rec, title: Rec, advice: Do it., sources: [s]}
    verdicts:
      - {id: stay, title: Stay, summary: Stay., priority: 1}
      - {id: go, title: Go, summary: Go., priority: 2}
    rules:
      - {id: makes-f, title: M, when: [{answer: q, is: yes}], then: {conclude: [f]}, sources: [s], rationale: B.}
      - id: no-f
        title: N
        when: [{not: {fact: f}}, {any: [{answer: two-words, is: yes}, {not: {answer: q, is: no}}]}]
        then: {verdict: go}
        sources: [s]
        rationale: B.
      - {id: with-f, title: W, when: [{fact: f}], then: {verdict: stay}, sources: [s], rationale: B.}
      - id: after
        title: A
        when: [{verdict: [stay, go]}, {answer: q, is: yes}]
        then: {recommend: [rec]}
        sources: [s]
        rationale: B.
"""


@pytest.fixture
def kb(tmp_path):
    return knowledge_from(tmp_path, GRAPH_KB)


def test_mermaid(kb):
    assert mermaid(kb) == """\
flowchart LR
  q_q["question: q"]
  q_two_words["question: two-words"]
  r_makes_f("rule: makes-f")
  r_no_f("rule: no-f")
  r_with_f("rule: with-f")
  r_after("rule: after")
  f_f[/"fact: f"/]
  rec_rec[["recommendation: rec"]]
  v_stay{{"verdict: stay"}}
  v_go{{"verdict: go"}}
  q_q --> r_makes_f
  r_makes_f --> f_f
  f_f -. not .-> r_no_f
  q_two_words --> r_no_f
  q_q -. not .-> r_no_f
  r_no_f --> v_go
  f_f --> r_with_f
  r_with_f --> v_stay
  v_stay --> r_after
  v_go --> r_after
  q_q --> r_after
  r_after --> rec_rec
"""


def test_dot(kb):
    assert dot(kb) == """\
digraph offercoach {
  rankdir=LR;
  "question:q" [shape=box, label="question\\nq"];
  "question:two-words" [shape=box, label="question\\ntwo-words"];
  "rule:makes-f" [shape=ellipse, label="rule\\nmakes-f"];
  "rule:no-f" [shape=ellipse, label="rule\\nno-f"];
  "rule:with-f" [shape=ellipse, label="rule\\nwith-f"];
  "rule:after" [shape=ellipse, label="rule\\nafter"];
  "fact:f" [shape=note, label="fact\\nf"];
  "recommendation:rec" [shape=component, label="recommendation\\nrec"];
  "verdict:stay" [shape=doubleoctagon, label="verdict\\nstay"];
  "verdict:go" [shape=doubleoctagon, label="verdict\\ngo"];
  "question:q" -> "rule:makes-f";
  "rule:makes-f" -> "fact:f";
  "fact:f" -> "rule:no-f" [style=dashed, label=not];
  "question:two-words" -> "rule:no-f";
  "question:q" -> "rule:no-f" [style=dashed, label=not];
  "rule:no-f" -> "verdict:go";
  "fact:f" -> "rule:with-f";
  "rule:with-f" -> "verdict:stay";
  "verdict:stay" -> "rule:after";
  "verdict:go" -> "rule:after";
  "question:q" -> "rule:after";
  "rule:after" -> "recommendation:rec";
}
"""
