"""The built-in knowledge: the contract's vocabulary, the whole article encoded, every verdict reachable."""

import json
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from knowledge_bases import built_in

from offercoach.cli import main
from offercoach.engine.consult import consult
from offercoach.engine.knowledge import BUILT_IN
from offercoach.engine.results import outcome_document
from offercoach.engine.scenarios import Scenario, read_scenarios, run_scenario, scenario_files

CONTRACT_QUESTIONS = {
    "situation": ["declined_offer_want_back", "accepted_offer_want_out", "weighing_offer"],
    "reason": ["not_stimulating", "dislike_boss", "culture_clash", "dream_company_offer", "better_offer",
               "personal_circumstances", "other"],
    "accepted_other_offer": ["yes", "no"],
    "accepted_before_declining": ["yes", "no"],
    "started_job": ["yes", "no"],
    "dream_company": ["yes", "no"],
    "via_agency": ["yes", "no"],
    "genuine_situation": ["yes", "no"],
    "priority": ["culture_fit", "title", "salary", "benefits", "responsibilities"],
    "assessed_culture_fit": ["yes", "no"],
    "office_tour": ["yes", "no"],
    "signals_match": ["yes", "no", "unsure"],
    "certainty": ["fully_sure", "not_sure"],
}
CONTRACT_VERDICTS = ["ask_for_offer_back", "honour_commitment", "back_out_with_explanation", "do_due_diligence",
                     "accept_with_confidence"]
CONTRACT_SECTIONS = ["intro", "hard-work", "reputation", "integrity", "cannot-compromise", "avoid-reneging",
                     "happiness"]
WEIGHING_ONLY = {"priority", "assessed_culture_fit", "office_tour", "signals_match", "certainty"}


@cache
def scenarios() -> list[Scenario]:
    return [s for path in scenario_files(["default"]) for s in read_scenarios(path, built_in())]


def pytest_generate_tests(metafunc):
    # One test per built-in scenario, read when the tests are collected rather than when this module is imported.
    if "scenario" in metafunc.fixturenames:
        metafunc.parametrize("scenario", scenarios(), ids=[s.name for s in scenarios()])


def test_the_questions_verdicts_and_sections_are_the_contracts():
    kb = built_in()
    assert {q.id: list(q.values) for q in kb.questions.values()} == CONTRACT_QUESTIONS
    assert next(iter(kb.questions)) == "situation"
    assert sorted(kb.verdicts) == sorted(CONTRACT_VERDICTS)
    assert sorted(kb.sections) == sorted(CONTRACT_SECTIONS)


def test_every_section_is_cited_by_a_rule():
    cited = {s for rule in built_in().rules.values() for s in rule.sources}
    assert cited == set(CONTRACT_SECTIONS)


def test_built_in_scenario(scenario):
    assert run_scenario(built_in(), scenario).failures == []


def _outcomes():
    return [consult(built_in(), s.answers, None, lambda _: None) for s in scenarios()]


def test_the_scenarios_reach_every_rule_recommendation_and_verdict():
    outcomes = _outcomes()
    kb = built_in()
    assert {s.rule for o in outcomes for s in o.trace.steps} == set(kb.rules)
    assert {r for o in outcomes for r, _ in o.recommendations} == set(kb.recommendations)
    assert {o.verdict for o in outcomes} == set(CONTRACT_VERDICTS)


def test_rules_chain_through_intermediate_facts():
    chained = [s for o in _outcomes() for s in o.trace.steps if any("fact" in m for m in s.matched)]
    assert len({s.rule for s in chained}) >= 10


answer_sets = st.deferred(lambda: st.fixed_dictionaries({}, optional={
    q.id: st.sampled_from(q.allowed) for q in built_in().questions.values()}))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(answer_sets)
def test_any_answers_give_exactly_one_verdict_and_ask_only_what_fits(answers):
    kb = built_in()
    outcome = consult(kb, answers, None, lambda _: None)
    document = outcome_document(kb, outcome)
    assert document["verdict"]["id"] in CONTRACT_VERDICTS
    fired = {step["rule"] for step in document["trace"]}
    assert set(document["verdict"]["because"]) <= fired
    assert all(set(rec["because"]) <= fired for rec in document["recommendations"])
    asked = [a.question for a in outcome.trace.asked]
    assert asked[0] == "situation"
    situation = answers.get("situation", "unknown")
    if situation == "weighing_offer":
        assert not {"reason", "accepted_other_offer", "accepted_before_declining", "started_job", "via_agency",
                    "genuine_situation"} & set(asked)
    else:
        assert not WEIGHING_ONLY & set(asked)
    if situation in ("declined_offer_want_back", "accepted_offer_want_out"):
        assert "reason" in asked
    if situation != "declined_offer_want_back":
        assert not {"accepted_other_offer", "accepted_before_declining"} & set(asked)
    # Starting a job only shapes the advice about one you have accepted.
    if "started_job" in asked:
        assert situation == "accepted_offer_want_out" or outcome.answers.get("accepted_other_offer") == "yes"
    assert list(document["answers"]) == asked


def test_the_built_in_knowledge_directory_is_inside_the_package():
    assert BUILT_IN.name == "knowledge"
    assert (BUILT_IN / "rules.yaml").is_file()


def test_json_output_follows_the_contract(runner):
    result = runner.invoke(main, ["consult", "--answer", "situation=weighing_offer", "--answer", "priority=salary",
                                  "--answer", "office_tour=no", "--no-input", "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert list(document) == ["verdict", "recommendations", "answers", "unanswered", "not_needed", "trace",
                              "questions", "knowledge", "format_version"]
    assert list(document["verdict"]) == ["id", "title", "summary", "because"]
    assert all(list(r) == ["id", "title", "advice", "sources", "because"] for r in document["recommendations"])
    assert all(list(s) == ["step", "rule", "matched", "declared"] for s in document["trace"])
    assert [s["step"] for s in document["trace"]] == list(range(1, len(document["trace"]) + 1))
    assert document["verdict"]["id"] == "do_due_diligence"
    assert document["unanswered"] == ["assessed_culture_fit", "certainty", "dream_company"]
    assert "signals_match" not in document["answers"]
