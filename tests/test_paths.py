"""'rules paths', the path checks of 'rules validate', and 'rules new': every consultation, seen beforehand."""

import json
import sys
from pathlib import Path

import pytest
from knowledge_bases import TINY_KB, built_in, write_knowledge

from offercoach.cli import main
from offercoach.engine import paths
from offercoach.engine.consult import consult
from offercoach.engine.errors import NoVerdictError
from offercoach.engine.load import load_knowledge
from offercoach.engine.paths import every_consultation

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import kbgen

TABLE = """\
  #  answers, in the order asked               verdict    recommendations, most important first
---  ----------------------------------------  ---------  ---------------------------------------
  1  situation=a, agency=yes, genuine=yes      out        careful
  2  situation=a, agency=yes, genuine=no       honour     careful
  3  situation=a, agency=yes, genuine=unknown  honour     careful
  4  situation=a, agency=no, genuine=yes       out
  5  situation=a, agency=no, genuine=no        honour
  6  situation=a, agency=no, genuine=unknown   honour
  7  situation=a, agency=unknown, genuine=yes  out
  8  situation=a, agency=unknown, genuine=no   honour
  9  situation=a, agency=unknown,              honour
     genuine=unknown
 10  situation=b                               honour
 11  situation=unknown                         honour

11 consultations: honour 8, out 3
"""


@pytest.fixture
def kb_dir(tmp_path):
    directory = tmp_path / "kb"
    directory.mkdir()
    write_knowledge(directory, TINY_KB)
    return directory


def test_paths_lists_every_consultation_with_its_verdict_and_advice(runner, kb_dir):
    result = runner.invoke(main, ["rules", "paths", "-k", str(kb_dir)])
    assert (result.exit_code, result.stdout, result.stderr) == (0, TABLE, "")


def test_paths_as_json_and_as_a_mermaid_flowchart(runner, kb_dir):
    document = json.loads(runner.invoke(main, ["rules", "paths", "-k", str(kb_dir), "--format", "json"]).stdout)
    assert (document["count"], document["complete"], document["verdicts"]) == (11, True, {"honour": 8, "out": 3})
    assert document["consultations"][3] == {"answers": {"situation": "a", "agency": "no", "genuine": "yes"},
                                            "verdict": "out", "recommendations": []}
    mermaid = runner.invoke(main, ["rules", "paths", "-k", str(kb_dir), "--format", "mermaid"]).stdout
    assert mermaid.splitlines()[:8] == ['flowchart LR', '  n0["situation"]', '  n1["agency"]', '  n0 -->|a| n1',
                                        '  n2["genuine"]', '  n1 -->|yes| n2', '  n3("out")', '  n2 -->|yes| n3']
    assert mermaid.splitlines()[-2:] == ['  n15("honour")', '  n0 -->|unknown| n15']


def test_paths_stops_at_the_limit_and_says_so(runner, kb_dir):
    result = runner.invoke(main, ["rules", "paths", "-k", str(kb_dir), "--limit", "2"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == ("stopped after 2 consultations (the limit); there are more. So far: "
                                              "honour 1, out 1. Raise --limit to see them all.")


def test_answers_that_reach_no_verdict_fail_paths_and_validate_naming_them(runner, kb_dir):
    write_knowledge(kb_dir, TINY_KB.replace("when: [{answer: situation, one_of: [b, unknown]}]",
                                            "when: [{answer: situation, is: b}]"))
    paths = runner.invoke(main, ["rules", "paths", "-k", str(kb_dir)])
    assert paths.exit_code == 1
    assert paths.stdout.splitlines()[-1] == "11 consultations: honour 7, out 3, (no verdict) 1"
    validated = runner.invoke(main, ["rules", "validate", "-k", str(kb_dir)])
    assert (validated.exit_code, validated.stdout) == (1, "")
    assert validated.stderr == (f"{kb_dir / 'kb.yaml'}:18:5: warning: fact 'risky' is concluded but no rule reads it\n"
                                f"{kb_dir / 'kb.yaml'}:34:31: warning: rule 'keep-word': 'not (genuine is yes)' also "
                                "holds when genuine is unknown; to leave unknown out, write {not: {answer: genuine, "
                                "one_of: [yes, unknown]}}; if unknown is meant, write {answer: genuine, one_of: [no, "
                                "unknown]}\n"
                                f"{kb_dir}: error: the answers situation=unknown reach no verdict: no rule "
                                "proposes one, so a user who gives them is left without advice\n")


def test_walking_the_tree_gives_what_a_fresh_consultation_gives_for_each_path():
    tree = every_consultation(built_in())
    assert tree.complete and len(tree.leaves) > 1000
    for leaf in tree.leaves[::5]:
        outcome = consult(built_in(), dict(leaf.answers), None, lambda _: None)
        assert (list(outcome.answers.items()), outcome.verdict, [r for r, _ in outcome.recommendations]) == \
            (leaf.answers, leaf.verdict, leaf.recommendations)


def test_the_built_in_knowledge_leaves_no_one_without_a_verdict(runner):
    result = runner.invoke(main, ["rules", "paths", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verdicts"] == {
        "accept_with_confidence": 3, "ask_for_offer_back": 216, "back_out_with_explanation": 216,
        "do_due_diligence": 978, "honour_commitment": 168}


def test_rules_new_writes_a_knowledge_base_that_validates_tests_and_walks(runner, tmp_path):
    target = tmp_path / "mine"
    made = runner.invoke(main, ["rules", "new", str(target)])
    assert made.exit_code == 0
    assert made.stdout == (f"A new knowledge base in {target}:\n  {target}/knowledge.yaml\n"
                           f"  {target}/scenarios/example.yaml\nNext: edit it, then run\n"
                           f"  offercoach rules validate -k {target}\n  offercoach rules test -k {target}\n"
                           f"  offercoach rules paths -k {target}\n  offercoach consult -k {target}\n")
    validated = runner.invoke(main, ["rules", "validate", "-k", str(target)])
    assert (validated.exit_code, validated.stderr) == (0, "")
    assert validated.stdout == (f"ok: 2 rules, 1 question, 1 recommendation, 1 verdict in 1 file of layers "
                                f"{target}\n")
    assert runner.invoke(main, ["rules", "test", "-k", str(target)]).stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert runner.invoke(main, ["rules", "paths", "-k", str(target)]).stdout.splitlines()[-1] == \
        "3 consultations: think_it_through 3"
    again = runner.invoke(main, ["rules", "new", str(target)])
    assert (again.exit_code, again.stderr) == (2, (f"offercoach: {target}: already exists and is not an empty "
                                                  "directory; choose a new folder for the knowledge base\n"))


def _full_walk(kb, monkeypatch):
    """The walk with no state ever recognised, so every subtree is explored."""
    states = iter(range(10**9))
    with monkeypatch.context() as patched:
        patched.setattr(paths, "_state", lambda session, tests: next(states))
        return paths.every_consultation(kb, 100_000)


def _leaves(tree):
    return [(leaf.answers, leaf.verdict, leaf.recommendations) for leaf in tree.leaves]


@pytest.mark.slow
def test_reusing_subtrees_of_equal_states_gives_the_full_walk_on_the_built_in_knowledge(monkeypatch):
    assert _leaves(paths.every_consultation(built_in(), 100_000)) == _leaves(_full_walk(built_in(), monkeypatch))


@pytest.mark.parametrize("seed", range(4))
def test_reusing_subtrees_of_equal_states_gives_the_full_walk_on_generated_knowledge(seed, tmp_path, monkeypatch):
    kbgen.write(tmp_path, 12, 4, seed)
    kb = load_knowledge([str(tmp_path)])
    walked = paths.every_consultation(kb, 100_000)
    assert _leaves(walked) == _leaves(_full_walk(kb, monkeypatch))
    for leaf in walked.leaves[::3]:
        if leaf.verdict is None:
            with pytest.raises(NoVerdictError):
                consult(kb, dict(leaf.answers), None, lambda _: None)
            continue
        outcome = consult(kb, dict(leaf.answers), None, lambda _: None)
        assert (list(outcome.answers.items()), outcome.verdict, [r for r, _ in outcome.recommendations]) == \
            (leaf.answers, leaf.verdict, leaf.recommendations)
