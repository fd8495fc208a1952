"""The built-in advice holds together: checks over every consultation the default knowledge allows."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from knowledge_bases import built_in

from offercoach.engine.consult import consult
from offercoach.engine.knowledge import UNKNOWN
from offercoach.engine.paths import every_consultation as walk
from offercoach.engine.results import outcome_document

ROOT = Path(__file__).resolve().parent.parent

# What each recommendation advises doing; a verdict admits only its own course and advice that fits any.
COURSE = {
    "keep-your-word": "stay", "protect-your-reputation": "stay", "tell-the-other-recruiter-honestly": "stay",
    "dream-company-will-wait": "stay",
    "make-sure-it-cannot-be-worked-around": "leave", "explain-your-withdrawal": "leave",
    "they-must-replace-you": "leave", "their-search-starts-again": "leave", "withdrawal-will-travel": "leave",
    "ask-honestly-and-realistically": "ask", "explain-what-changed": "ask", "not-for-trying-your-luck": "ask",
    "prepare-for-yes-or-no": "ask", "expect-a-mixed-welcome": "ask", "no-quick-return": "ask",
    "your-u-turn-is-known": "ask",
    "work-out-where-you-stand": "wait", "be-fully-sure": "wait", "put-culture-and-fit-first": "wait",
    "check-culture-and-fit": "wait", "ask-for-an-office-tour": "wait", "heed-the-mismatch": "wait",
    "look-again": "wait",
    "accept-and-commit": "accept",
    "due-diligence-next-time": "any", "even-the-dream-job-needs-checking": "any",
    "weigh-happiness-and-reputation": "any",
}
# Withdrawing to get a declined offer back also means asking for it, so both courses fit that verdict.
COURSES_OF = {"honour_commitment": {"stay"}, "back_out_with_explanation": {"leave", "ask"},
              "ask_for_offer_back": {"ask"}, "do_due_diligence": {"wait"}, "accept_with_confidence": {"accept"}}


def run(answers):
    return consult(built_in(), dict(answers), None, lambda _: None)


# Walking the tree takes a second or two (it is walked once, by whichever of these tests runs first): a quick
# run (pytest -m "not slow") leaves these tests out. tests/test_paths.py shows the walk gives what a fresh
# consultation gives.
slow = pytest.mark.slow


@dataclass
class Seen:
    """One leaf of the tree, as these tests read it."""

    verdict: str
    recommendations: list[tuple[str, list[str]]]
    asked: list[str]


@cache
def every_consultation():
    """Each consultation the knowledge allows: every question asked branches on each of its values."""
    tree = walk(built_in())
    assert tree.complete
    return [(tuple(leaf.answers), Seen(leaf.verdict, [(r, []) for r in leaf.recommendations],
                                       [q for q, _ in leaf.answers])) for leaf in tree.leaves]


@slow
def test_the_tree_of_consultations_reaches_every_verdict():
    verdicts = {outcome.verdict for _, outcome in every_consultation()}
    assert verdicts == set(COURSES_OF)
    assert 100 < len(every_consultation()) < 5000


def test_every_recommendation_has_a_course():
    assert set(COURSE) == set(built_in().recommendations)


@slow
def test_no_recommendation_advises_the_opposite_course_of_its_verdict():
    wrong = [(dict(answers), outcome.verdict, rec) for answers, outcome in every_consultation()
             for rec, _ in outcome.recommendations
             if COURSE[rec] != "any" and COURSE[rec] not in COURSES_OF[outcome.verdict]]
    assert wrong == []


@slow
def test_every_consultation_carries_the_closing_advice():
    missing = [dict(answers) for answers, outcome in every_consultation()
               if "weigh-happiness-and-reputation" not in dict(outcome.recommendations)]
    assert missing == []


SIDE_BY_SIDE = ("reason", "genuine_situation", "started_job", "via_agency", "dream_company")


@slow
def test_the_same_situation_told_from_either_side_gets_the_same_verdict():
    """Declined A, then accepted B, wanting A back, is wanting out of B for A."""
    pairs = 0
    for answers, outcome in every_consultation():
        answers = dict(answers)
        if answers["situation"] == "accepted_offer_want_out":
            other = {"situation": "declined_offer_want_back", "accepted_other_offer": "yes"}
        elif answers["situation"] == "declined_offer_want_back" and answers.get("accepted_other_offer") == "yes":
            other = {"situation": "accepted_offer_want_out"}
        else:
            continue
        other |= {q: v for q, v in answers.items() if q in SIDE_BY_SIDE}
        assert (answers, run(other).verdict) == (answers, outcome.verdict)
        pairs += 1
    assert pairs > 50


@slow
def test_an_unknown_start_is_not_taken_as_not_started():
    for answers, outcome in every_consultation():
        if dict(answers).get("started_job") == UNKNOWN:
            assert "they-must-replace-you" not in dict(outcome.recommendations)
            assert all("not started" not in built_in().recommendations[r].advice for r, _ in outcome.recommendations)


@slow
def test_the_question_that_decides_the_verdict_comes_before_those_that_only_support_it():
    for answers, outcome in every_consultation():
        asked = outcome.asked
        if "genuine_situation" in asked:
            assert not {"started_job", "via_agency", "dream_company", "accepted_before_declining"} & \
                set(asked[:asked.index("genuine_situation")]), asked


@pytest.mark.parametrize("answers, summary", [
    ({"situation": "accepted_offer_want_out", "reason": "culture_clash", "genuine_situation": "no"},
     ("Stay with the job you accepted. Going back on a promise is understood only in a situation that truly "
     "cannot be worked around, and you have not said that yours is one.")),
    ({"situation": "weighing_offer", "priority": "salary", "assessed_culture_fit": "yes", "office_tour": "yes",
      "signals_match": "yes", "certainty": "fully_sure"},
     ("Do not accept yet. Weigh the offer again with the company culture and your personal fit above the title, "
     "duties, salary and benefits, and decide on that footing.")),
    ({"situation": "accepted_offer_want_out", "reason": "personal_circumstances", "genuine_situation": "yes"},
     ("Above all, make sure your situation truly cannot be worked around. If it cannot, withdraw from the job you "
     "accepted, and explain to your new employer why you accepted, what has changed and how you reached your "
     "decision.")),
])
def test_the_verdict_is_worded_for_the_case(answers, summary):
    assert outcome_document(built_in(), run(answers))["verdict"]["summary"] == summary


def test_the_advice_document_traces_every_rule_and_recommendation():
    text = (ROOT / "docs" / "advice.md").read_text()
    named = set(re.findall(r"`([a-z0-9-]+)`", text))
    assert set(built_in().rules) - named == set()
    assert set(built_in().recommendations) - named == set()
    assert set(built_in().verdicts) - set(re.findall(r"`([a-z_]+)`", text)) == set()
