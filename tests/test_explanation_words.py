"""WHY-NOT and HOW in words, whole, for the cases the built-in knowledge does not reach."""

import json

from knowledge_bases import TINY_KB, knowledge_from, write_knowledge

from offercoach.cli import main
from offercoach.engine.explain import why_not
from offercoach.engine.explanations import why_not_text
from offercoach.engine.trace import Trace

# 'three' asks q2 first; q1 is asked for 'q1-no' and, answered no, rules 'three' out before it asks q3.
RULED_OUT_KB = """\
    sections:
      - {id: s, title: S, summary: S.}
    questions:
      - {id: q1, prompt: Question one, help: H., values: {yes: Yes, no: No}}
      - {id: q2, prompt: Question two, help: H., values: {yes: Yes, no: No}}
      - {id: q3, prompt: Question three, help: H., values: {yes: Yes, no: No}}
    verdicts:
      - {id: first, title: First, summary: First., priority: 1}
      - {id: second, title: Second, summary: Second., priority: 1}
    rules:
      - id: three
        title: All three
        when: [{answer: q2, is: yes}, {answer: q3, is: yes}, {answer: q1, is: yes}]
        then: {verdict: first}
        sources: [s]
        rationale: Because.
      - id: q1-no
        title: Q1 is no
        when: [{answer: q1, is: no}]
        then: {verdict: second}
        sources: [s]
        rationale: Because.
"""


def saved(runner, tmp_path, knowledge, *answers):
    result = runner.invoke(main, ["consult", "-k", str(knowledge), *answers, "--no-input", "--format", "json"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "t.json"
    path.write_text(result.stdout)
    return path


def test_why_not_a_rule_ruled_out_by_a_later_answer_before_it_asked(runner, tmp_path):
    knowledge = write_knowledge(tmp_path / "kb", RULED_OUT_KB)
    path = saved(runner, tmp_path, knowledge, "--answer", "q1=no", "--answer", "q2=yes")
    result = runner.invoke(main, ["explain", str(path), "-k", str(knowledge), "--why-not", "three"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == """\
Why not rule three: All three
It did not fire. It needs every condition to hold:
  - holds: q2 is yes [you answered q2=yes]
  - open: q3 is yes [q3 was never asked]
  - fails: q1 is yes [you answered q1=no]
  'q3' was never asked: this rule was already ruled out by: q1 is yes.
"""


def test_why_not_in_a_consultation_that_ended_before_a_rule_needed_a_question(tmp_path):
    # A consultation stopped once q2 was answered: nothing has failed, and q3 and q1 are still open.
    kb = knowledge_from(tmp_path, RULED_OUT_KB)
    assert why_not_text(kb, why_not(kb, Trace(), {"q2": "yes"}, "three")) == """\
Why not rule three: All three
It did not fire. It needs every condition to hold:
  - holds: q2 is yes [you answered q2=yes]
  - open: q3 is yes [q3 was never asked]
  - open: q1 is yes [q1 was never asked]
  'q3' was never asked: the consultation ended before any rule needed it.
  'q1' was never asked: this rule needs it only once the conditions before it hold, and
  this did not: q3 is yes.
"""


def test_how_in_markdown_nests_the_steps_behind_each_fact(runner, tmp_path):
    knowledge = write_knowledge(tmp_path / "kb", TINY_KB)
    path = saved(runner, tmp_path, knowledge, "--answer", "situation=a", "--answer", "agency=yes",
                 "--answer", "genuine=no")
    result = runner.invoke(main, ["explain", str(path), "-k", str(knowledge), "--recommendation", "careful",
                                  "--format", "markdown"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == """\
## How offercoach reached the recommendation 'careful': Careful

- because rule agency-word-spreads (step 2): Word spreads
  Agencies talk.
  Sources: Section one (s1)
  - using fact committed: You made a promise.
    - because rule promise (step 1): Accepting is a promise
      A promise was made.
      Sources: Section one (s1)
      - using your answer situation=a
  - using your answer agency=yes
"""


TIED_KB = """\
    sections:
      - {id: s, title: S, summary: S.}
    questions:
      - {id: q1, prompt: Question one, help: H., values: {yes: Yes, no: No}}
      - {id: q2, prompt: Question two, help: H., values: {yes: Yes, no: No}}
    verdicts:
      - {id: first, title: First, summary: First., priority: 1}
      - {id: second, title: Second, summary: Second., priority: 1}
      - {id: low, title: Low, summary: Low., priority: 0}
    rules:
      - {id: on-q1, title: On q1, when: [{answer: q1, is: yes}], then: {verdict: second}, sources: [s], rationale: R.}
      - {id: on-q2, title: On q2, when: [{answer: q2, is: yes}], then: {verdict: first}, sources: [s], rationale: R.}
      - {id: always, title: Always, when: [], then: {verdict: low}, sources: [s], rationale: R.}
"""


def test_a_verdict_that_lost_on_knowledge_order_is_not_said_to_have_lost_on_priority(runner, tmp_path):
    knowledge = write_knowledge(tmp_path / "kb", TIED_KB)
    path = saved(runner, tmp_path, knowledge, "--answer", "q1=yes", "--answer", "q2=yes")
    result = runner.invoke(main, ["explain", str(path), "-k", str(knowledge)])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == """\
How offercoach reached the verdict 'first': First
  because rule on-q2 (step 3): On q2
      R.
      Sources: S (s)
    using your answer q2=yes

Other candidate verdicts, which lost on priority: low (proposed by always).
Other candidate verdicts of the same priority (1), which lost only because first is
listed first in the knowledge: second (proposed by on-q1).
"""


ABSENT_KB = """\
    sections:
      - {id: s, title: S, summary: S.}
    questions:
      - {id: q1, prompt: Question one, help: H., values: {yes: Yes, no: No}}
      - {id: q2, prompt: Question two, help: H., values: {yes: Yes, no: No}}
    facts:
      - {id: f, meaning: F holds.}
    recommendations:
      - {id: rec, title: Rec, advice: Do it., sources: [s]}
    verdicts:
      - {id: v, title: V, summary: V., priority: 1}
    rules:
      - {id: makes-f, title: Makes f, when: [{answer: q1, is: yes}], then: {conclude: [f]}, sources: [s], rationale: R.}
      - {id: also-f, title: Also f, when: [{answer: q1, is: unknown}], then: {conclude: [f]}, sources: [s], rationale: R.}
      - id: without-f
        title: Without f
        when: [{answer: q2, is: yes}, {not: {fact: f}}]
        then: {recommend: [rec], verdict: v}
        sources: [s]
        rationale: R.
      - {id: with-f, title: With f, when: [{fact: f}], then: {verdict: v}, sources: [s], rationale: R.}
"""


def test_how_says_why_a_fact_whose_absence_a_rule_read_was_absent(runner, tmp_path):
    knowledge = write_knowledge(tmp_path / "kb", ABSENT_KB)
    path = saved(runner, tmp_path, knowledge, "--answer", "q1=no", "--answer", "q2=yes")
    result = runner.invoke(main, ["explain", str(path), "-k", str(knowledge), "--recommendation", "rec"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == """\
How offercoach reached the recommendation 'rec': Rec
  because rule without-f (step 1): Without f
      R.
      Sources: S (s)
    using your answer q2=yes
    using the absence of fact f: F holds.
        fact f was never concluded: the rules that conclude it, makes-f and also-f, did
        not fire (--why-not RULE_ID says why).
"""
    as_json = runner.invoke(main, ["explain", str(path), "-k", str(knowledge), "--recommendation", "rec",
                                   "--format", "json"])
    assert json.loads(as_json.stdout) == {"kind": "recommendation", "id": "rec", "because": [
        {"kind": "rule", "id": "without-f", "step": 1, "because": [
            {"kind": "answer", "id": "q2", "value": "yes"},
            {"kind": "absent", "id": "f", "not_fired": ["makes-f", "also-f"]}]}]}
