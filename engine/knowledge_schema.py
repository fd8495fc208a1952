"""The knowledge format's JSON Schema and the key tables of docs/knowledge-format.md, made from knowledge.py.

Regenerate both after changing an item's keys in knowledge.py:

    python -m offercoach.engine.knowledge_schema --write

Without `--write` it prints the schema. tests/test_schema.py fails while either file differs from what this makes.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .knowledge import (
    DISABLE,
    FORMS,
    ID_PATTERN,
    KINDS,
    LAYER_KEYS,
    OVERRIDE,
    UNKNOWN,
    Form,
    Key,
    Then,
    Value,
    keys_of,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "schema" / "knowledge.schema.json"
FORMAT_DOC = ROOT / "docs" / "knowledge-format.md"
COMMAND = "python -m offercoach.engine.knowledge_schema --write"

ID = {"$ref": "#/$defs/id"}
TEXT = {"$ref": "#/$defs/text"}
# The families of conditions: where each may stand, and which forms it has.
CONDITION, ANSWER_CONDITION, TOP_CONDITION = "condition", "answer_condition", "top_condition"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _one_or_more(item: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """One `item`, or a list of them (not empty if `required`)."""
    listed: dict[str, Any] = {"type": "array", **({"minItems": 1} if required else {}), "items": item}
    return {"oneOf": [item, listed]}


def records() -> dict[str, type]:
    """The classes of the mappings nested in items (a rule's `then`, a question's `wording`), by their key."""
    found: dict[str, type] = {}
    todo = [kind.item for kind in KINDS.values()]
    while todo:
        for key in keys_of(todo.pop()).values():
            if key.record is not None and key.name not in found:
                found[key.name] = key.record
                todo.append(key.record)
    return found


def value_schema(value: Value, key: Key | None = None, family: str = CONDITION) -> dict[str, Any]:
    """What a value of kind `value` looks like: of `key` in an item, or in a condition of `family`."""
    if value in (Value.ID, Value.REF):
        return dict(ID)
    if value is Value.TEXT:
        return dict(TEXT)
    if value is Value.REFS:
        return _one_or_more(ID, key is None or key.required)
    if value is Value.NUMBER:
        within = key.within if key is not None else None
        bounds = {} if within is None else {"minimum": within.start, "maximum": within.stop - 1}
        return {"type": "integer", **bounds}
    if value is Value.MEANINGS:
        return {"type": "object", "minProperties": 1,
                "propertyNames": {"allOf": [ID, {"not": {"const": UNKNOWN}}]}, "additionalProperties": TEXT}
    if value is Value.RULE_CONDITIONS:
        return {"type": "array", "items": _ref(TOP_CONDITION)}
    if value is Value.ANSWER_CONDITIONS:
        return {"type": "array", "items": _ref(ANSWER_CONDITION)}
    if value is Value.CONDITION:
        return _ref(family)
    if value is Value.CONDITIONS:
        return {"type": "array", "items": _ref(family)}
    if value is Value.VALUE:
        return {"type": "string"}
    if value is Value.VALUES:
        return {"type": "array", "minItems": 1, "items": {"type": "string"}}
    assert key is not None, value
    if value is Value.RECORD:
        return _ref(key.name)
    return {"type": "array", "minItems": 1, "items": _ref(key.name)}  # RECORDS


def record_schema(cls: type, *also: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """The mapping an item or record of `cls` is written as, with the keys `also` given beside its own."""
    keys = keys_of(cls)
    schema: dict[str, Any] = {"type": "object"}
    required = [k.name for k in keys.values() if k.required]
    if required:
        schema["required"] = required
    needs = {k.name: [k.needs[0]] for k in keys.values() if k.needs}
    if needs:
        schema["dependentRequired"] = needs
    at_least_one: tuple[str, ...] = getattr(cls, "AT_LEAST_ONE", ())
    if at_least_one:
        schema["anyOf"] = [{"required": [name]} for name in at_least_one]
    schema["properties"] = {k.name: {**value_schema(k.value, k), "description": k.doc} for k in keys.values()}
    schema["properties"].update(also)
    schema["additionalProperties"] = False
    schema.update(_verdict_readers(keys))
    return schema


def _verdict_readers(keys: Mapping[str, Key]) -> dict[str, Any]:
    """For a rule: if its `when` reads the verdict, its `then` holds none of Then.NOT_AFTER_THE_VERDICT."""
    when = next((k for k in keys.values() if k.value is Value.RULE_CONDITIONS), None)
    then = next((k for k in keys.values() if k.record is Then), None)
    if when is None or then is None:
        return {}
    forbidden = Then.NOT_AFTER_THE_VERDICT
    reads = [{"type": "object", "required": [next(iter(form.keys))]} for form in FORMS if form.top_only]
    return {
        "if": {"required": [when.name],
               "properties": {when.name: {"type": "array", "contains": reads[0] if len(reads) == 1
                                          else {"anyOf": reads}}}},
        "then": {"properties": {then.name: {
            "propertyNames": {"not": {"enum": list(forbidden)}},
            "description": "a rule that reads the verdict may only recommend: it cannot "
                           + " or ".join(forbidden.values())}}},
    }


def form_schema(form: Form, family: str) -> dict[str, Any]:
    return {"type": "object", "required": list(form.keys), "additionalProperties": False,
            "properties": {name: value_schema(value, family=family) for name, value in form.keys.items()},
            "description": form.doc}


def knowledge_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of one knowledge file, from the definition in knowledge.py."""
    override = (OVERRIDE, {"type": "boolean", "description": LAYER_KEYS[OVERRIDE]})
    defs: dict[str, Any] = {
        "id": {"type": "string", "pattern": ID_PATTERN.pattern},
        "text": {"type": "string", "pattern": r"\S"},
        DISABLE: {"type": "object", "required": ["id", DISABLE], "additionalProperties": False,
                  "properties": {"id": ID, DISABLE: {"const": True}}, "description": LAYER_KEYS[DISABLE]},
    }
    for kind in KINDS.values():
        defs[kind.singular] = {"title": kind.singular,
                               "anyOf": [_ref(DISABLE), record_schema(kind.item, override)]}
    for name, cls in records().items():
        defs[name] = {"title": name, **record_schema(cls)}
    defs[CONDITION] = {"description": "a condition of a rule",
                       "oneOf": [form_schema(f, CONDITION) for f in FORMS if not f.top_only]}
    defs[ANSWER_CONDITION] = {"description": "a condition on answers only, as in a wording",
                              "oneOf": [form_schema(f, ANSWER_CONDITION) for f in FORMS if f.answers_only]}
    defs[TOP_CONDITION] = {"description": "a condition at the top level of a rule's 'when'",
                           "oneOf": [_ref(CONDITION), *(form_schema(f, CONDITION) for f in FORMS if f.top_only)]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://offercoach.invalid/schema/knowledge.schema.json",
        "$comment": f"Generated from engine/knowledge.py by '{COMMAND}'; do not edit.",
        "title": "offercoach knowledge file",
        "description": "One YAML file of an offercoach knowledge directory. See docs/knowledge-format.md.",
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": {table: {"type": "array", "items": _ref(kind.singular)} for table, kind in KINDS.items()},
        "$defs": defs,
    }


def schema_text() -> str:
    """docs/schema/knowledge.schema.json as it should be."""
    return json.dumps(knowledge_schema(), indent=2) + "\n"


def key_table(cls: type) -> str:
    """The Markdown table of the keys of `cls`: each key, whether it is required, what it means."""
    rows = [f"| `{k.name}` | {'yes' if k.required else 'no'} | {k.doc} |" for k in keys_of(cls).values()]
    return "\n".join(["| key | required | meaning |", "| --- | --- | --- |", *rows]) + "\n"


TABLE = re.compile(r"(<!-- keys:(\w+) -->\n).*?(<!-- /keys -->)", re.DOTALL)


def with_key_tables(markdown: str) -> str:
    """`markdown` with the table between each '<!-- keys:NAME -->' and '<!-- /keys -->' made anew.

    NAME is a kind ('rules') or a record ('then'); every kind must have its table.
    """
    tabled = {**{table: kind.item for table, kind in KINDS.items()}, **records()}
    names = [m.group(2) for m in TABLE.finditer(markdown)]
    unknown = sorted(set(names) - set(tabled))
    missing = [kind for kind in KINDS if kind not in names]
    if unknown or missing:
        raise ValueError(f"key tables: unknown {unknown}, missing {missing}")
    return TABLE.sub(lambda m: m.group(1) + key_table(tabled[m.group(2)]) + m.group(3), markdown)


def main(args: list[str]) -> int:
    if not args:
        sys.stdout.write(schema_text())
        return 0
    if args != ["--write"]:
        sys.stderr.write("usage: python -m offercoach.engine.knowledge_schema [--write]\n")
        return 2
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    FORMAT_DOC.write_text(with_key_tables(FORMAT_DOC.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_FILE} and the key tables in {FORMAT_DOC}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
