"""'rules test': scenario files next to the knowledge, known gaps, coverage, and never a silent skip."""

from offercoach.cli import main
from offercoach.engine.load import load_knowledge
from offercoach.engine.scenarios import scenario_problems


def scenarios(tiny_kb, text):
    folder = tiny_kb / "scenarios"
    folder.mkdir(exist_ok=True)
    (folder / "s.yaml").write_text(text)
    return folder / "s.yaml"


def run(runner, tiny_kb, *args):
    return runner.invoke(main, ["rules", "test", "-k", str(tiny_kb), *args])


def test_passing_and_failing_scenarios_with_a_readable_diff(runner, tiny_kb):
    path = scenarios(tiny_kb, """\
scenarios:
  - name: agency and no real reason
    answers: {situation: a, agency: yes, genuine: no}
    expect: {verdict: honour, recommend: [careful], fired: [agency-word-spreads]}
  - name: wrong on purpose
    answers: {situation: a, agency: no}
    expect: {verdict: out, recommend: [careful], asked: [situation, genuine]}
""")
    result = run(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stdout == f"""\
ok    {path}:2: agency and no real reason
FAIL  {path}:5: wrong on purpose
      verdict: expected out, got honour
      recommendation careful: expected present, got absent (the recommendations: none)
      asked: expected situation, genuine; got situation, agency, genuine
1 passed, 1 failed
"""


def test_a_known_gap_counts_as_passed_until_it_passes(runner, tiny_kb):
    path = scenarios(tiny_kb, """\
scenarios:
  - name: leaving should be allowed here
    known_gap: the rules do not yet cover this
    answers: {situation: a, genuine: no}
    expect: {verdict: out}
""")
    gap = run(runner, tiny_kb)
    assert (gap.exit_code, gap.stdout) == (0, f"""\
gap   {path}:2: leaving should be allowed here
      known gap: the rules do not yet cover this
      verdict: expected out, got honour
1 known gap (counted as passed)
1 passed, 0 failed
""")
    path.write_text(path.read_text().replace("genuine: no", "genuine: yes"))
    fixed = run(runner, tiny_kb)
    assert (fixed.exit_code, fixed.stdout) == (1, f"""\
FAIL  {path}:2: leaving should be allowed here
      marked as a known gap (the rules do not yet cover this), but it passes now: remove 'known_gap'
0 passed, 1 failed
""")


def test_coverage_lists_what_no_scenario_reaches(runner, tiny_kb):
    scenarios(tiny_kb, "scenarios:\n  - {name: b, answers: {situation: b}, expect: {verdict: honour}}\n")
    result = run(runner, tiny_kb, "--coverage")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == [
        "Coverage: 6 not reached by any scenario:", "  rule promise", "  rule agency-word-spreads",
        "  rule keep-word", "  rule back-out", "  recommendation careful", "  verdict out", "1 passed, 0 failed"]


def test_a_scenario_naming_unknown_ids_fails_the_run_with_positions(runner, tiny_kb):
    path = scenarios(tiny_kb, """\
scenarios:
  - name: typos
    answers: {situation: a, agency: maybe}
    expect: {verdict: honor, fired: [keep-wrd], recomend: []}
""")
    result = run(runner, tiny_kb)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"{path}:3:29: error: scenario 'typos': 'maybe' is not an allowed answer to 'agency'; allowed: yes, no, unknown\n"
        f"{path}:4:14: error: scenario 'typos': 'verdict' names unknown verdict 'honor'; did you mean 'honour'?\n"
        f"{path}:4:30: error: scenario 'typos': 'fired' names unknown rule 'keep-wrd'; did you mean 'keep-word'?\n"
        f"{path}:4:49: error: scenario 'typos': unknown expectation 'recomend'; did you mean 'recommend'?\n")


def test_no_scenarios_is_a_failure_not_a_silent_pass(runner, tiny_kb):
    result = run(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stdout == "0 passed, 0 failed\n"
    assert result.stderr == ("offercoach: no scenarios found; write them in a 'scenarios' folder of a knowledge "
                             "directory\n")


def test_an_invalid_knowledge_base_fails_the_run(runner, tiny_kb):
    (tiny_kb / "kb.yaml").write_text((tiny_kb / "kb.yaml").read_text().replace("sources: [s1]", "sources: [s2]", 1))
    result = run(runner, tiny_kb)
    assert result.exit_code == 1
    assert "error: rule 'promise': unknown section 's2'" in result.stderr


def test_a_scenario_whose_answers_reach_no_verdict_fails_with_the_reason(runner, tiny_kb):
    kb_file = tiny_kb / "kb.yaml"
    kb_file.write_text(kb_file.read_text().replace("when: [{answer: situation, one_of: [b, unknown]}]",
                                                   "when: [{answer: situation, is: unknown}]"))
    path = scenarios(tiny_kb, "scenarios:\n  - {name: b, answers: {situation: b}, expect: {verdict: honour}}\n")
    result = run(runner, tiny_kb)
    assert (result.exit_code, result.stdout) == (1, f"""\
FAIL  {path}:2: b
      the consultation failed: no rule proposes a verdict for these answers (situation=b); the knowledge in \
{tiny_kb} reaches no verdict for them
0 passed, 1 failed
""")


def test_validate_checks_the_scenario_files_too(runner, tiny_kb):
    path = scenarios(tiny_kb, """\
scenarios:
  - name: a typo in an answer and an expectation
    answers: {situation: c, agnecy: yes}
    expect: {verdit: honour}
""")
    broken = tiny_kb / "scenarios" / "t.yaml"
    broken.write_text("scenarios:\n  - name: x\n   answers: {}\n")
    expected = (
        f"{path}:3:15: error: scenario 'a typo in an answer and an expectation': 'c' is not an allowed answer to "
        "'situation'; allowed: a, b, unknown\n"
        f"{path}:3:29: error: scenario 'a typo in an answer and an expectation': unknown question 'agnecy'; did you "
        "mean 'agency'? (known questions: situation, agency, genuine)\n"
        f"{path}:4:14: error: scenario 'a typo in an answer and an expectation': unknown expectation 'verdit'; did "
        "you mean 'verdict'?\n"
        f"{broken}:3:4: error: not valid YAML: this line is indented to column 4, which lines up neither with the '-' "
        "of the list that starts at line 2 (column 3) nor with the keys of its items (column 5); start it at column 5 "
        "to add to the item above, or at column 3 with '- ' for a new item\n")
    assert "".join(f"{p}\n" for p in scenario_problems(load_knowledge([str(tiny_kb)]))) == expected
    result = runner.invoke(main, ["rules", "validate", "-k", str(tiny_kb)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.endswith(expected)  # after the knowledge's own warnings
