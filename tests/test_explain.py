"""Explanations on the built-in knowledge: WHY at a question, HOW, WHY-NOT, back, save and resume."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from knowledge_bases import built_in

from offercoach.cli import main
from offercoach.engine.consult import consult
from offercoach.engine.knowledge import BUILT_IN

GOLDEN = Path(__file__).parent / "golden"
HONOUR = ["--answer", "situation=accepted_offer_want_out", "--answer", "reason=culture_clash",
          "--answer", "started_job=yes", "--answer", "via_agency=yes", "--answer", "genuine_situation=no"]


def transcript(runner, tmp_path, *answers, name="t.json"):
    result = runner.invoke(main, ["consult", *answers, "--no-input", "--format", "json"])
    assert result.exit_code == 0, result.output
    path = tmp_path / name
    path.write_text(result.stdout)
    return path


def explain(runner, path, *args):
    return runner.invoke(main, ["explain", str(path), *args])


def test_why_at_every_question_of_a_consultation(runner):
    """A genuine bind: the verdict is chosen, then the questions only its advice needs are asked."""
    result = runner.invoke(main, ["consult"], input="why all\naccepted_offer_want_out\nwhy\nculture_clash\nwhy\nyes\n"
                                                     "why\nyes\nwhy\nno\n")
    assert result.exit_code == 0
    assert result.stderr == (GOLDEN / "why-at-every-question.txt").read_text()


def test_how_for_every_recommendation_of_a_consultation(runner, tmp_path):
    path = transcript(runner, tmp_path, *HONOUR)
    recommendations = [r["id"] for r in json.loads(path.read_text())["recommendations"]]
    assert recommendations == ["keep-your-word", "protect-your-reputation", "due-diligence-next-time",
                               "weigh-happiness-and-reputation"]
    outputs = [explain(runner, path, "--recommendation", r) for r in recommendations]
    assert [o.exit_code for o in outputs] == [0] * 4
    assert "".join(o.stdout for o in outputs) == (GOLDEN / "how-every-recommendation.txt").read_text()


def test_how_for_the_verdict_is_the_default(runner, tmp_path):
    path = transcript(runner, tmp_path, *HONOUR)
    default, verdict = explain(runner, path), explain(runner, path, "--verdict")
    assert default.stdout == verdict.stdout
    assert default.stdout.splitlines()[:2] == [
        "How offercoach reached the verdict 'honour_commitment': Keep your word",
        "  because rule stay-unless-it-cannot-be-worked-around (step 5): Stay unless your"]


def test_why_not_a_rule_blocked_by_an_answer(runner, tmp_path):
    result = explain(runner, transcript(runner, tmp_path, *HONOUR), "--why-not", "a-genuine-bind")
    assert result.exit_code == 0
    assert result.stdout == """\
Why not rule a-genuine-bind: A genuine bind that cannot be worked around
It did not fire. It needs every condition to hold:
  - holds: commitment-at-stake (You have accepted a job, so backing out would break a
    promise that employer relied on) [concluded by accepting-is-a-promise at step 1]
  - holds: reason is one of not_stimulating, dislike_boss, culture_clash,
    personal_circumstances, other, unknown [you answered reason=culture_clash]
  - fails: genuine_situation is yes [you answered genuine_situation=no]
"""


def test_why_not_a_rule_never_reached_because_its_question_was_not_asked(runner, tmp_path):
    result = explain(runner, transcript(runner, tmp_path, *HONOUR), "--why-not", "heed-the-mismatch")
    assert result.exit_code == 0
    assert result.stdout == """\
Why not rule heed-the-mismatch: Treat a mismatch as a warning sign
It did not fire. It needs every condition to hold:
  - fails: situation is weighing_offer [you answered situation=accepted_offer_want_out]
  - open: office_tour is yes [office_tour was never asked]
  - open: signals_match is no [signals_match was never asked]
  'office_tour' was never asked: this rule needs it only once the conditions before it
  hold, and this did not: situation is weighing_offer.
  'signals_match' was never asked: this rule needs it only once the conditions before it
  hold, and this did not: situation is weighing_offer.
"""


def test_why_not_in_json_gives_the_actual_values(runner, tmp_path):
    result = explain(runner, transcript(runner, tmp_path, *HONOUR), "--why-not", "withdraw-from-the-job-you-accepted",
                     "--format", "json")
    assert json.loads(result.stdout) == {
        "rule": "withdraw-from-the-job-you-accepted", "title": "Withdraw, explaining yourself fully", "fired_at": None,
        "conditions": [
            {"condition": "situation is accepted_offer_want_out", "holds": True,
             "answers": {"situation": "accepted_offer_want_out"}, "facts": {}},
            {"condition": "commitment-at-stake (You have accepted a job, so backing out would break a promise that "
                          "employer relied on)",
             "holds": True, "answers": {}, "facts": {"commitment-at-stake": 1}},
            {"condition": "genuine-sticky-situation (You are in a real bind that cannot be worked around, not "
                          "simply trying your luck)", "holds": False, "answers": {},
             "facts": {"genuine-sticky-situation": None}}],
        "not_needed": []}


def test_a_rule_that_fired_says_when_and_on_what(runner, tmp_path):
    result = explain(runner, transcript(runner, tmp_path, *HONOUR), "--rule", "agency-word-spreads")
    assert result.stdout == """\
Rule agency-word-spreads: Word spreads through recruitment agencies
  Why it matters: Agency recruiters work with many companies, and news of someone going
  back on an accepted offer travels quickly among them.
  Sources: Your reputation may be damaged (reputation)
It fired at step 6, on commitment-at-stake, via_agency=yes.
It concluded: fact reputation-at-risk.
"""


def test_unknown_ids_exit_2_naming_the_nearest(runner, tmp_path):
    path = transcript(runner, tmp_path, *HONOUR)
    rule = explain(runner, path, "--why-not", "agency-word-sprads")
    assert (rule.exit_code, rule.stdout) == (2, "")
    assert rule.stderr == ("offercoach: no rule 'agency-word-sprads' in the knowledge; did you mean "
                           "'agency-word-spreads'?\n")
    rec = explain(runner, path, "--recommendation", "explain-what-changd")
    assert rec.stderr == ("offercoach: no recommendation 'explain-what-changd' in the knowledge; did you mean "
                          "'explain-what-changed' or 'explain-your-withdrawal'?\n")
    not_given = explain(runner, path, "--recommendation", "explain-what-changed")
    assert (not_given.exit_code, not_given.stderr) == (2, (
        "offercoach: recommendation 'explain-what-changed' was not given in this consultation; it comes from "
        "explain-what-changed: try --why-not explain-what-changed (given: keep-your-word, protect-your-reputation, "
        "due-diligence-next-time, weigh-happiness-and-reputation)\n"))


def test_consult_explain_appends_the_how_of_the_verdict(runner, tmp_path):
    result = runner.invoke(main, ["consult", *HONOUR, "--no-input", "--explain"])
    path = transcript(runner, tmp_path, *HONOUR)
    plain = runner.invoke(main, ["consult", *HONOUR, "--no-input"])
    assert result.stdout == plain.stdout + "\n" + explain(runner, path, "--verdict").stdout


def test_a_saved_transcript_from_another_knowledge_says_which_files_changed(runner, tmp_path):
    mine = tmp_path / "mine"
    shutil.copytree(BUILT_IN, mine)
    path = transcript(runner, tmp_path, "--knowledge", str(mine), *HONOUR)
    rules = mine / "rules.yaml"
    rules.write_text(rules.read_text().replace("title: Stay unless your situation truly cannot be worked around",
                                               "title: Keep your promise"))
    result = explain(runner, path, "--knowledge", str(mine))
    assert result.exit_code == 0
    assert result.stderr == (f"Note: the knowledge has changed since {path} was saved ({mine}/rules.yaml); its "
                             "answers are run again on the current knowledge.\n")
    assert result.stdout.splitlines()[1] == ("  because rule stay-unless-it-cannot-be-worked-around (step 5): "
                                             "Keep your promise")


def test_back_then_a_new_answer_equals_only_ever_giving_the_new_answer(runner):
    undone = runner.invoke(main, ["consult", "--format", "json"],
                           input="accepted_offer_want_out\ndream_company_offer\nback\nculture_clash\nno\nno\nno\n")
    direct = runner.invoke(main, ["consult", "--format", "json"],
                           input="accepted_offer_want_out\nculture_clash\nno\nno\nno\n")
    assert undone.exit_code == direct.exit_code == 0
    assert undone.stdout == direct.stdout


answers_in_order = st.lists(st.sampled_from(range(9)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(answers_in_order, answers_in_order, st.integers(0, 7))
def test_back_restores_exactly_the_earlier_state(picks, replacement, back_at):
    """Answer, go back once at `back_at`, answer again: same outcome as never giving the undone answer."""
    def script(choices, back_after):
        typed, lines = [], []

        def ask(_prompt):
            if back_after is not None and len(typed) == back_after + 1 and "back" not in lines:
                lines.append("back")
                typed.pop()
                return "back"
            number = choices[len(lines) % len(choices)] if choices else 0
            lines.append(str(number))
            typed.append(number)
            return str(number % 3 + 1)
        return ask

    with_back = consult(built_in(), {}, script(picks + replacement, back_at), lambda _: None)
    answers = list(with_back.answers.items())
    without_back = consult(built_in(), {}, None, lambda _: None, replay=answers)
    assert with_back.verdict == without_back.verdict
    assert with_back.recommendations == without_back.recommendations
    assert [s.as_json() for s in with_back.trace.steps] == [s.as_json() for s in without_back.trace.steps]


def test_save_then_resume_after_end_of_input_equals_one_sitting(runner, tmp_path):
    saved = tmp_path / "advice.json"
    first = runner.invoke(main, ["consult", "--save", str(saved)], input="accepted_offer_want_out\nculture_clash\n")
    assert first.exit_code == 2
    assert first.stderr.endswith(f"genuine_situation> \noffercoach: input ended before the consultation finished; your "
                                 f"answers are saved in {saved}. Continue with: offercoach consult --resume {saved}\n")
    partial = json.loads(saved.read_text())
    assert (partial["verdict"], partial["answers"]) == (
        None, {"situation": "accepted_offer_want_out", "reason": "culture_clash"})
    resumed = runner.invoke(main, ["consult", "--resume", str(saved), "--format", "json"], input="yes\nyes\nno\n")
    one_sitting = runner.invoke(main, ["consult", "--format", "json"],
                                input="accepted_offer_want_out\nculture_clash\nyes\nyes\nno\n")
    assert resumed.exit_code == 0
    assert resumed.stderr.startswith(f"Resuming {saved}: situation=accepted_offer_want_out, reason=culture_clash. "
                                     "Type 'back' at a question to change the previous answer.\n")
    assert resumed.stdout == one_sitting.stdout
    assert json.loads(saved.read_text()) == json.loads(one_sitting.stdout)


def test_back_after_resume_undoes_a_saved_answer(runner, tmp_path):
    saved = tmp_path / "advice.json"
    runner.invoke(main, ["consult", "--save", str(saved)], input="accepted_offer_want_out\nculture_clash\n")
    resumed = runner.invoke(main, ["consult", "--resume", str(saved), "--format", "json"],
                            input="back\ndream_company_offer\nno\nno\n")
    direct = runner.invoke(main, ["consult", "--format", "json"],
                           input="accepted_offer_want_out\ndream_company_offer\nno\nno\n")
    assert resumed.stdout == direct.stdout


def test_quit_with_save_keeps_the_answers(runner, tmp_path):
    saved = tmp_path / "advice.json"
    result = runner.invoke(main, ["consult", "--save", str(saved)], input="weighing_offer\nquit\n")
    assert result.exit_code == 3
    assert result.stderr.endswith(f"priority> quit\noffercoach: stopped at your request; your answers are saved in "
                                  f"{saved}. Continue with: offercoach consult --resume {saved}\n")
    assert json.loads(saved.read_text())["answers"] == {"situation": "weighing_offer"}


def _offercoach(*args):
    command = Path(sys.executable).parent / "offercoach"
    return subprocess.Popen([str(command), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_ctrl_c_under_save_then_resume_gives_the_uninterrupted_result(tmp_path):
    saved = tmp_path / "advice.json"
    process = _offercoach("consult", "--save", str(saved), "--format", "json")
    process.stdin.write("accepted_offer_want_out\nculture_clash\n")
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if saved.exists() and len(json.loads(saved.read_text())["answers"]) == 2:
            break
        time.sleep(0.05)
    time.sleep(0.2)  # let it reach the next prompt
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert out == ""
    assert err.endswith(f"offercoach: interrupted; your answers are saved in {saved}. Continue with: "
                        f"offercoach consult --resume {saved}\n")
    assert "Traceback" not in err
    resumed = _offercoach("consult", "--resume", str(saved), "--format", "json")
    resumed_out, _ = resumed.communicate("yes\nyes\nno\n", timeout=30)
    whole = _offercoach("consult", "--format", "json")
    whole_out, _ = whole.communicate("accepted_offer_want_out\nculture_clash\nyes\nyes\nno\n", timeout=30)
    assert resumed.returncode == whole.returncode == 0
    assert resumed_out == whole_out


def test_transcripts_that_cannot_be_used_exit_2(runner, tmp_path):
    path = transcript(runner, tmp_path, *HONOUR)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    cut = explain(runner, path)
    assert cut.exit_code == 2
    assert cut.stderr.startswith(f"offercoach: {path}: not a usable offercoach transcript: line ")
    assert cut.stderr.endswith("(is the file cut short?)\n")
    newer = json.loads(text)
    newer["format_version"] = 2
    path.write_text(json.dumps(newer))
    assert explain(runner, path).stderr == (f"offercoach: {path}: not a usable offercoach transcript: it was written "
                                            "by a newer offercoach (format 2); this one reads format 1\n")
    missing = runner.invoke(main, ["consult", "--resume", str(tmp_path / "none.json")])
    assert (missing.exit_code, missing.stderr) == (2, f"offercoach: {tmp_path / 'none.json'}: no such transcript\n")


def test_saving_leaves_no_temporary_files(runner, tmp_path):
    saved = tmp_path / "advice.json"
    runner.invoke(main, ["consult", "--save", str(saved), *HONOUR, "--no-input"])
    assert os.listdir(tmp_path) == ["advice.json"]


def test_explanations_in_markdown(runner, tmp_path):
    path = transcript(runner, tmp_path, *HONOUR)
    why_not = explain(runner, path, "--why-not", "heed-the-mismatch", "--format", "markdown")
    assert why_not.stdout.startswith("## Why not rule heed-the-mismatch: Treat a mismatch as a warning sign\n\n"
                                     "It did not fire. It needs every condition to hold:\n  - fails: situation is ")
    how = explain(runner, path, "--format", "markdown")
    assert how.stdout.startswith("## How offercoach reached the verdict 'honour_commitment': Keep your word\n\n"
                                 "- because rule stay-unless-it-cannot-be-worked-around (step 5): Stay unless your\n"
                                 "  situation truly cannot be worked around\n")


def test_changed_knowledge_that_no_longer_reaches_a_verdict_is_the_knowledge_s_fault(runner, tmp_path):
    mine = tmp_path / "mine"
    shutil.copytree(BUILT_IN, mine)
    path = transcript(runner, tmp_path, "--knowledge", str(mine), *HONOUR)
    rules = mine / "rules.yaml"
    text = rules.read_text()
    proposal = text[text.index("  - id: stay-unless-it-cannot-be-worked-around\n"):]
    proposal = proposal[proposal.index("      verdict: honour_commitment\n"):proposal.index("    sources:")]
    assert proposal.startswith("      verdict: honour_commitment\n      summary: >-\n")
    rules.write_text(text.replace(proposal, ""))
    result = explain(runner, path, "--knowledge", str(mine))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "offercoach: no rule proposes a verdict for these answers (situation=accepted_offer_want_out, "
        f"reason=culture_clash, genuine_situation=no, via_agency=yes); the knowledge in {mine} reaches no verdict "
        "for them\n")
