"""The JSON Schemas and the validator agree on every shape error in a corpus of fixtures."""

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from offercoach.engine.errors import KnowledgeError
from offercoach.engine.knowledge import KINDS, keys_of
from offercoach.engine.knowledge_schema import FORMAT_DOC, SCHEMA_FILE, main, schema_text, with_key_tables
from offercoach.engine.load import load_knowledge
from offercoach.engine.yaml_source import read_yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "schema"
KNOWLEDGE_SCHEMA = json.loads((ROOT / "docs" / "schema" / "knowledge.schema.json").read_text())
SCENARIOS_SCHEMA = json.loads((ROOT / "docs" / "schema" / "scenarios.schema.json").read_text())


def schema_errors(path: Path) -> list[str]:
    validator = jsonschema.Draft202012Validator(KNOWLEDGE_SCHEMA)
    return [e.message for e in validator.iter_errors(read_yaml(path))]


def validator_errors(path: Path, tmp_path: Path) -> list[str]:
    layer = tmp_path / "layer"
    layer.mkdir()
    shutil.copy(path, layer / path.name)
    try:
        load_knowledge(["default", str(layer)])
    except KnowledgeError as exc:
        return [str(p) for p in exc.problems]
    return []


REGENERATE = "out of date: run 'python -m offercoach.engine.knowledge_schema --write'"


def test_the_knowledge_schema_is_made_from_the_definition_in_knowledge_py():
    assert SCHEMA_FILE == ROOT / "docs" / "schema" / "knowledge.schema.json"
    assert SCHEMA_FILE.read_text() == schema_text(), REGENERATE


def test_the_key_tables_of_the_format_doc_are_made_from_the_definition():
    text = FORMAT_DOC.read_text()
    assert text == with_key_tables(text), REGENERATE
    for kind in ("sections", "questions", "facts", "rules", "recommendations", "verdicts", "then", "wording"):
        assert f"<!-- keys:{kind} -->\n| key | required | meaning |\n" in text


def test_a_kind_without_its_key_table_or_an_unknown_table_is_refused():
    with pytest.raises(ValueError, match=r"unknown \['rule'\], missing \['sections', 'questions', 'facts', 'rules'"):
        with_key_tables("<!-- keys:rule -->\n<!-- /keys -->\n")


def test_the_command_prints_the_schema_and_refuses_other_arguments(capsys):
    assert main([]) == 0
    assert capsys.readouterr().out == schema_text()
    assert main(["--check"]) == 2
    assert capsys.readouterr().err.startswith("usage: python -m offercoach.engine.knowledge_schema [--write]")


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_validator_demands_the_keys_the_definition_requires(kind, tmp_path):
    (tmp_path / "k.yaml").write_text(f"{kind}:\n  - {{id: new-one, the-key: x}}\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(["default", str(tmp_path)])
    required = [k for k, key in keys_of(KINDS[kind].item).items() if key.required and k != "id"]
    label = f"{KINDS[kind].singular} 'new-one'"
    assert sorted(p.message for p in caught.value.problems) == sorted(
        [f"{label}: '{k}' is missing" for k in required] + [f"{label}: unknown key 'the-key'"])


def test_the_schemas_are_valid_2020_12_schemas():
    jsonschema.Draft202012Validator.check_schema(KNOWLEDGE_SCHEMA)
    jsonschema.Draft202012Validator.check_schema(SCENARIOS_SCHEMA)


@pytest.mark.parametrize("path", sorted((FIXTURES / "ok").iterdir()), ids=lambda p: p.stem)
def test_good_files_pass_both(path, tmp_path):
    assert (schema_errors(path), validator_errors(path, tmp_path)) == ([], [])


@pytest.mark.parametrize("path", sorted((FIXTURES / "fail").iterdir()), ids=lambda p: p.stem)
def test_bad_files_fail_both_and_the_validator_points_into_the_file(path, tmp_path):
    assert schema_errors(path)
    problems = validator_errors(path, tmp_path)
    assert problems
    assert all(p.startswith(f"{tmp_path / 'layer' / path.name}:") for p in problems)


def test_the_built_in_knowledge_and_scenarios_match_the_schemas():
    for path in sorted((ROOT / "knowledge").glob("*.yaml")):
        assert schema_errors(path) == [], path
    scenarios = jsonschema.Draft202012Validator(SCENARIOS_SCHEMA)
    for path in sorted((ROOT / "knowledge" / "scenarios").glob("*.yaml")):
        assert [e.message for e in scenarios.iter_errors(read_yaml(path))] == [], path


def test_the_schemas_ship_with_the_package():
    import offercoach.engine

    shipped = Path(offercoach.engine.__file__).parent.parent / "docs" / "schema"
    assert sorted(p.name for p in shipped.glob("*.json")) == ["knowledge.schema.json", "scenarios.schema.json"]
