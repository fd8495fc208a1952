"""Loading refuses what it cannot compile, with 'path:line:col: message' and exit 1, never a traceback."""

from pathlib import Path

import pytest
from knowledge_bases import TINY_KB

from offercoach.cli import main
from offercoach.engine.errors import KnowledgeError
from offercoach.engine.load import load_knowledge


def at(text: str, needle: str) -> str:
    """'line:col' where `needle` first stands in `text`."""
    index = text.index(needle)
    return f"{text.count(chr(10), 0, index) + 1}:{index - text.rfind(chr(10), 0, index)}"


def broken(tiny_kb: Path, old: str, new: str) -> tuple[Path, str]:
    text = TINY_KB.replace(old, new, 1)
    assert text != TINY_KB
    (tiny_kb / "kb.yaml").write_text(text)
    return tiny_kb / "kb.yaml", text


def validate(runner, directory):
    return runner.invoke(main, ["rules", "validate", "--knowledge", str(directory)])


def test_yes_and_no_stay_the_words_the_coach_typed(tiny_kb):
    kb = load_knowledge([str(tiny_kb)])
    assert kb.questions["agency"].values == {"yes": "Yes", "no": "No"}
    assert kb.questions["agency"].allowed == ["yes", "no", "unknown"]
    assert kb.rules["agency-word-spreads"].when.conditions[1].values == ("yes",)


def test_a_misspelt_key_is_named_with_a_suggestion(runner, tiny_kb):
    path, text = broken(tiny_kb, "    sources: [s1]\n    rationale: A promise", "    sorces: [s1]\n    rationale: A promise")
    result = validate(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{path}:{at(text, 'id: promise')}: error: rule 'promise': 'sources' is missing\n"
        f"{path}:{at(text, 'sorces')}: error: rule 'promise': unknown key 'sorces'; did you mean 'sources'?\n")


def test_an_unknown_question_is_named_with_the_nearest_known_one(runner, tiny_kb):
    path, text = broken(tiny_kb, "{answer: agency, is: yes}", "{answer: agnecy, is: yes}")
    result = validate(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{at(text, 'yes}]')}: error: rule 'agency-word-spreads': unknown question "
                             "'agnecy'; did you mean 'agency'?\n")


def test_a_value_outside_the_question_is_refused_with_the_allowed_values(runner, tiny_kb):
    path, text = broken(tiny_kb, "{answer: agency, is: yes}", "{answer: agency, is: maybe}")
    result = validate(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{at(text, 'maybe')}: error: rule 'agency-word-spreads': 'maybe' is not an "
                             "allowed value of question 'agency' (allowed: yes, no, unknown)\n")


def test_a_duplicate_key_is_an_error_not_silently_dropped(runner, tiny_kb):
    path, text = broken(tiny_kb, "    rationale: Agencies talk.", "    rationale: Agencies talk.\n    title: Again")
    result = validate(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stderr == f"{path}:{at(text, 'title: Again')}: error: the key 'title' appears twice in this mapping; keep one\n"


def test_a_fact_no_rule_concludes_makes_the_rule_unmatchable(runner, tiny_kb):
    text = TINY_KB.replace("conclude: [risky], recommend", "recommend").replace(
        "{fact: committed}, {not:", "{fact: risky}, {not:")
    (tiny_kb / "kb.yaml").write_text(text)
    result = validate(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stderr == (f"{tiny_kb / 'kb.yaml'}:{at(text, 'risky}, {not')}: error: rule 'keep-word': can never fire: "
                             "no rule concludes fact 'risky'\n")


def test_yaml_syntax_errors_give_the_position(runner, tiny_kb):
    path, text = broken(tiny_kb, "prompt: Where are you?", 'prompt: "Where are you?')
    result = validate(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{len(text.splitlines()) + 1}:1: error: not valid YAML: found unexpected end of "
                             "stream while scanning a quoted scalar that starts at line 5, column 13\n")


def test_python_tags_are_refused_and_never_run(runner, tmp_path):
    marker = tmp_path / "ran"
    directory = tmp_path / "evil"
    directory.mkdir()
    (directory / "kb.yaml").write_text(f'rules: !!python/object/apply:os.system ["touch {marker}"]\n')
    result = validate(runner, directory)
    assert result.exit_code == 1
    assert result.stderr == (f"{directory / 'kb.yaml'}:1:8: error: the tag tag:yaml.org,2002:python/object/apply:os.system "
                             "is not allowed; write a plain list\n")
    assert not marker.exists()


def test_a_missing_knowledge_directory_is_reported(runner, tmp_path):
    result = validate(runner, tmp_path / "nowhere")
    assert result.exit_code == 1
    assert result.stderr == f"{tmp_path / 'nowhere'}: error: the knowledge directory does not exist\n"


def layer(tmp_path, text):
    directory = tmp_path / "mine"
    directory.mkdir()
    (directory / "mine.yaml").write_text(text)
    return directory


def test_a_later_layer_replaces_an_item_only_when_it_says_override(tiny_kb, tmp_path):
    mine = layer(tmp_path, "verdicts:\n  - {id: out, title: Leave, summary: Leave now., priority: 5, override: true}\n")
    kb = load_knowledge([str(tiny_kb), str(mine)])
    assert kb.verdicts["out"].title == "Leave"
    assert list(kb.verdicts) == ["honour", "out"]
    assert (kb.origin[("verdicts", "out")], kb.overridden[("verdicts", "out")]) == (str(mine), str(tiny_kb))


def test_redefining_without_override_is_an_error(runner, tiny_kb, tmp_path):
    mine = layer(tmp_path, "verdicts:\n  - {id: out, title: Leave, summary: Leave now., priority: 5}\n")
    result = runner.invoke(main, ["rules", "validate", "-k", str(tiny_kb), "-k", str(mine)])
    assert result.exit_code == 1
    assert result.stderr == (f"{mine / 'mine.yaml'}:2:5: error: verdict 'out' is already defined in layer "
                             f"'{tiny_kb}' ({tiny_kb / 'kb.yaml'}:{at(TINY_KB, '{id: out').split(':')[0]}); "
                             "add 'override: true' to replace it\n")


def test_override_of_nothing_is_an_error(tiny_kb, tmp_path):
    mine = layer(tmp_path, "verdicts:\n  - {id: outt, title: Leave, summary: Leave now., priority: 5, override: true}\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([str(tiny_kb), str(mine)])
    assert [str(p) for p in caught.value.problems] == [
        (f"{mine / 'mine.yaml'}:{at((mine / 'mine.yaml').read_text(), 'true}')}: error: verdict 'outt' has 'override: true', but no earlier layer defines it; "
        "did you mean 'out'?")]


def test_a_later_layer_can_disable_an_item(tiny_kb, tmp_path):
    mine = layer(tmp_path, "rules:\n  - {id: agency-word-spreads, disable: true}\n")
    kb = load_knowledge([str(tiny_kb), str(mine)])
    assert "agency-word-spreads" not in kb.rules
    assert kb.disabled == {("rules", "agency-word-spreads"): str(mine)}


def test_disabling_what_does_not_exist_is_an_error(tiny_kb, tmp_path):
    mine = layer(tmp_path, "rules:\n  - {id: agency-word-spread, disable: true}\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([str(tiny_kb), str(mine)])
    assert [str(p) for p in caught.value.problems] == [
        (f"{mine / 'mine.yaml'}:{at((mine / 'mine.yaml').read_text(), 'agency')}: error: rule 'agency-word-spread' cannot be disabled: no earlier layer "
        "defines it; did you mean 'agency-word-spreads'?")]


def test_an_id_defined_twice_in_one_layer_is_an_error(tiny_kb):
    (tiny_kb / "more.yaml").write_text("verdicts:\n  - {id: out, title: Leave, summary: Leave now., priority: 5}\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([str(tiny_kb)])
    assert [str(p) for p in caught.value.problems] == [
        (f"{tiny_kb / 'more.yaml'}:2:5: error: verdict 'out' is defined twice in this layer "
        f"(first at {tiny_kb / 'kb.yaml'}:{at(TINY_KB, '{id: out').split(':')[0]})")]


def test_control_characters_are_reported_on_one_line(runner, tmp_path):
    directory = tmp_path / "kb"
    directory.mkdir()
    (directory / "kb.yaml").write_bytes(b"rules:\n  - id: x\x07\n")
    result = validate(runner, directory)
    assert result.exit_code == 1
    assert result.stderr == f"{directory / 'kb.yaml'}:2:10: error: not valid YAML: the character #x0007 is not allowed in a YAML file\n"


def test_an_unknown_id_in_a_list_points_at_the_id_itself(runner, tiny_kb):
    path, text = broken(tiny_kb, "{conclude: [risky], recommend: [careful]}", "{conclude: [risky], recommend: [carefull]}")
    result = validate(runner, tiny_kb)
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:{at(text, 'carefull')}: error: rule 'agency-word-spreads': unknown recommendation "
                             "'carefull'; did you mean 'careful'?\n")


@pytest.mark.parametrize("old, new, expected", [
    # an under-indented line of folded text: reported where it is, not where the parser gave up
    ("    rationale: A promise was made.", "    rationale: >-\n      A promise\n    was made.",
     ("27:5: error: not valid YAML: this line has no ':', so it is not a key; if it continues the text above, indent "
     "it as far as the text on line 26 (column 7)")),
    ("    sources: [s1]\n    rationale: A promise", "   sources: [s1]\n    rationale: A promise",
     ("24:4: error: not valid YAML: this line is indented to column 4, which lines up neither with the '-' of the "
     "list that starts at line 20 (column 3) nor with the keys of its items (column 5); start it at column 5 to add "
     "to the item above, or at column 3 with '- ' for a new item")),
    ("    when: [{answer: situation, is: a}]",
     "    when:\n      - {answer: situation, is: a}\n     - {answer: agency, is: yes}",
     ("24:6: error: not valid YAML: this line is indented to column 6, which lines up with nothing above it; indent "
     "it to column 7 to add to the list above or to column 5 for a key of the mapping that starts at line 20")),
    ("    title: Accepting is a promise", "     title: Accepting is a promise",
     ("21:6: error: not valid YAML: this line is indented further than the key on line 20 (column 5), so it is read "
     "as more of that key's value; start it at column 5 to make it a key beside that one")),
    ("    title: Accepting is a promise", "    title: Accepting: a promise",
     ("21:21: error: not valid YAML: ': ' inside a value starts a key; put the whole value in quotes, e.g. title: "
     '"Note: this"')),
])
def test_indentation_mistakes_are_told_plainly_at_their_line(runner, tiny_kb, old, new, expected):
    path, _ = broken(tiny_kb, old, new)
    result = validate(runner, tiny_kb)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{path}:{expected}\n"


def test_a_key_out_dented_to_the_level_of_its_parent_is_told_to_indent(runner, tiny_kb):
    path, text = broken(tiny_kb, "    then: {conclude: [committed]}", "    then:\n    conclude: [committed]")
    result = validate(runner, tiny_kb)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"{path}:23:10: error: rule 'promise': 'then' must say what the rule concludes: conclude, recommend and/or "
        "verdict\n"
        f"{path}:{at(text, 'conclude: [committed]')}: error: rule 'promise': unknown key 'conclude'; it belongs under "
        "'then:' (line 23): indent it further than 'then' (column 5)\n")
