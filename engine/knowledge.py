"""The knowledge as plain data: its items, defined once with the keys a file gives them; what their conditions
mean; the layers it is read from."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import MISSING, field, fields, replace
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, cast

from .records import record

UNKNOWN = "unknown"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")  # ids, and the values of questions
BUILT_IN = Path(__file__).resolve().parent.parent / "knowledge"


@record(frozen=True)
class Where:
    """Where an item was written: file, line and column."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


# Each kind of item is a dataclass below, and its fields are the one definition of the keys a knowledge file
# gives it: a field made with `key(...)` in its metadata is a key of the same name. A key is required unless its
# field has a default. load.py reads and checks the keys from this definition, knowledge_schema.py makes the
# JSON Schema and the tables in docs/knowledge-format.md from it. Fields without `key` (`where`, `at`) are
# what loading adds.


class Value(Enum):
    """The kinds of value a key holds. load.py reads each plain one; the others have readers of their own."""

    ID = "id"  # lower-case words joined by '-' or '_'
    TEXT = "text"  # words, not blank
    REF = "id of another item"  # one id of an item of the `refers` kind
    REFS = "ids of other items"  # a list of ids of the `refers` kind; one id alone is a list of one
    NUMBER = "whole number"  # within `within`, if given
    MEANINGS = "values and their meanings"  # a mapping of each value to its meaning in words
    RULE_CONDITIONS = "conditions"  # a list of conditions, all of which must hold; a 'verdict' one at the top only
    ANSWER_CONDITIONS = "conditions on answers"  # the same, reading answers only
    CONDITION = "condition"  # in a condition: one condition of the same family (under 'not')
    CONDITIONS = "list of conditions"  # in a condition: a list of them (under 'all', 'any')
    VALUE = "value"  # in a condition: a value of the question
    VALUES = "list of values"  # in a condition: values of the question
    RECORD = "record"  # a mapping whose keys are those of the `record` class
    RECORDS = "list of records"  # a list of such mappings


@record(frozen=True)
class Key:
    """One key of an item in a knowledge file, as the field of the item's class that holds its value says."""

    name: str
    value: Value
    doc: str  # one line, for the docs' table and the schema
    required: bool = True
    refers: str = ""  # REF, REFS: the kind of item ('section', 'fact', ...) the ids name
    within: range | None = None  # NUMBER: the whole numbers allowed
    record: type | None = None  # RECORD, RECORDS: the class whose keys the mapping has
    needs: tuple[str, str] | None = None  # another key that must stand beside this one, and why


def key(value: Value, doc: str, *, refers: str = "", within: range | None = None, record: type | None = None,
        needs: tuple[str, str] | None = None) -> dict[str, Key]:
    """The metadata that makes a field a key of its item: `field(metadata=key(Value.TEXT, "plain words"))`."""
    return {"key": Key("", value, doc, refers=refers, within=within, record=record, needs=needs)}


def keys_of(cls: type[Any]) -> Mapping[str, Key]:
    """The keys an item of `cls` has in a file, by name, in the order of its fields."""
    known: Mapping[str, Key] = _keys_of(cast(Hashable, cls))
    return known


@cache  # read for every item loaded; the format does not change while the process runs
def _keys_of(cls: Any) -> Mapping[str, Key]:
    return {f.name: replace(f.metadata["key"], name=f.name,
                            required=f.default is MISSING and f.default_factory is MISSING)
            for f in fields(cls) if "key" in f.metadata}


@record(frozen=True)
class AnswerIn:
    """Holds when the question was answered with one of `values`."""

    question: str
    values: tuple[str, ...]
    where: Where = field(compare=False)


@record(frozen=True)
class FactHolds:
    """Holds when some rule concluded the fact."""

    fact: str
    where: Where = field(compare=False)


@record(frozen=True)
class Not:
    condition: Condition
    where: Where = field(compare=False)


@record(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]
    where: Where = field(compare=False)


@record(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]
    where: Where = field(compare=False)


@record(frozen=True)
class VerdictIs:
    """Holds once the consultation's verdict is chosen and is one of `verdicts`; top level of 'when' only."""

    verdicts: tuple[str, ...]
    where: Where = field(compare=False)
    at: tuple[Where, ...] = field(default=(), compare=False)  # where each listed verdict id is written


Condition = AnswerIn | FactHolds | VerdictIs | Not | AllOf | AnyOf


@record(frozen=True)
class Form:
    """One way to write a condition: its keys, the first naming the form, each with the kind of value it holds."""

    condition: type  # the class it is read into
    keys: dict[str, Value]
    doc: str
    answers_only: bool = True  # False: rules may use it, a question's wording may not
    top_only: bool = False  # it stands at the top level of a rule's 'when' only


# How conditions are written; load.py reads them with code of its own, from these keys.
FORMS = (
    Form(AnswerIn, {"answer": Value.ID, "is": Value.VALUE}, "the question was answered with this value"),
    Form(AnswerIn, {"answer": Value.ID, "one_of": Value.VALUES}, "the question was answered with one of these"),
    Form(FactHolds, {"fact": Value.ID}, "a rule concluded the fact", answers_only=False),
    Form(VerdictIs, {"verdict": Value.REFS}, "holds once the verdict is chosen and is one of these; only at the "
         "top level of 'when'", answers_only=False, top_only=True),
    Form(Not, {"not": Value.CONDITION}, "the condition does not hold"),
    Form(AllOf, {"all": Value.CONDITIONS}, "all of the conditions hold"),
    Form(AnyOf, {"any": Value.CONDITIONS}, "any of the conditions holds"),
)


def walk(condition: Condition) -> Iterator[Condition]:
    """Yield `condition` and every condition nested in it."""
    yield condition
    if isinstance(condition, Not):
        yield from walk(condition.condition)
    elif isinstance(condition, (AllOf, AnyOf)):
        for inner in condition.conditions:
            yield from walk(inner)


def holds(cond: Condition, answers: dict[str, str], facts: set[str], settled: bool,
          verdict: str | None = None, absent: set[str] | frozenset[str] = frozenset()) -> bool | None:
    """Whether `cond` holds: True, False, or None while still open.

    Unanswered questions are open; a fact not concluded is false once the consultation is `settled`, or once it
    is one of the facts known to be `absent` (no_longer_concluded); a verdict condition is open until the
    `verdict` is chosen.
    """
    if isinstance(cond, AnswerIn):
        value = answers.get(cond.question)
        return None if value is None else value in cond.values
    if isinstance(cond, FactHolds):
        return True if cond.fact in facts else (False if settled or cond.fact in absent else None)
    if isinstance(cond, VerdictIs):
        return None if verdict is None else verdict in cond.verdicts
    if isinstance(cond, Not):
        inner = holds(cond.condition, answers, facts, settled, verdict, absent)
        return None if inner is None else not inner
    results = [holds(c, answers, facts, settled, verdict, absent) for c in cond.conditions]
    if isinstance(cond, AllOf):
        return False if False in results else (True if all(results) else None)
    return True if True in results else (False if all(r is False for r in results) else None)


def no_longer_concluded(kb: KnowledgeBase, answers: dict[str, str], facts: set[str]) -> set[str]:
    """The facts no rule can conclude any more, given `answers` and the `facts` concluded: every rule that
    concludes one has a top-level condition that fails for good (what compile.py's settling rules declare)."""
    absent: set[str] = set()
    concluders = kb.concluders()
    while more := {f for f in kb.facts if f not in facts and f not in absent
                   and all(any(holds(c, answers, facts, False, None, absent) is False for c in rule.when.conditions)
                           for rule in concluders.get(f, []))}:
        absent |= more
    return absent


def references(item: object) -> Iterator[tuple[str, str]]:
    """(kind, id) for every id that `item`'s keys name, those of its records included, in the order of its keys."""
    for k in keys_of(type(item)).values():
        value = getattr(item, k.name)
        if k.value is Value.RECORD:
            yield from references(value)
        elif k.refers and value is not None:
            yield from ((k.refers, ref) for ref in ((value,) if isinstance(value, str) else value))


@record(frozen=True, kw_only=True)
class Section:
    id: str = field(metadata=key(Value.ID, "citation id, e.g. `reputation`"))
    title: str = field(metadata=key(Value.TEXT, "the section's heading as a reader would name it"))
    summary: str = field(metadata=key(Value.TEXT, "one or two sentences, in our own words, of what the section "
                                                  "advises"))
    where: Where


@record(frozen=True, kw_only=True)
class Wording:
    """Another prompt, help or value meanings for a question, used when `when` holds on the answers so far."""

    when: AllOf = field(metadata=key(Value.ANSWER_CONDITIONS, "a list of conditions on the answers so far, all "
                                                              "of which must hold"))
    prompt: str | None = field(default=None, metadata=key(Value.TEXT, "the prompt to show instead"))
    help: str | None = field(default=None, metadata=key(Value.TEXT, "the help to show instead"))
    values: dict[str, str] = field(default_factory=dict, metadata=key(
        Value.MEANINGS, "some of the question's values, with the meaning to show instead"))
    where: Where

    AT_LEAST_ONE: ClassVar[tuple[str, ...]] = ("prompt", "help", "values")  # a variant gives one or more of these


@record(frozen=True, kw_only=True)
class Question:
    id: str = field(metadata=key(Value.ID, "e.g. `via_agency`"))
    prompt: str = field(metadata=key(Value.TEXT, "the question as asked"))
    help: str = field(metadata=key(Value.TEXT, "one or two sentences shown under the prompt"))
    values: dict[str, str] = field(metadata=key(Value.MEANINGS, "mapping of allowed value to its meaning, in the "
                                                                "order shown"))
    # tried in order; the first whose conditions hold is shown
    wording: tuple[Wording, ...] = field(default=(), metadata=key(
        Value.RECORDS, "other wordings for situations already given (below)", record=Wording))
    where: Where

    @property
    def allowed(self) -> list[str]:
        return [*self.values, UNKNOWN]


@record(frozen=True, kw_only=True)
class FactDef:
    id: str = field(metadata=key(Value.ID, "e.g. `commitment-at-stake`"))
    meaning: str = field(metadata=key(Value.TEXT, 'a plain sentence stating the fact, e.g. "Backing out now would '
                                                  'break a promise you made."'))
    where: Where


@record(frozen=True, kw_only=True)
class Then:
    """What a rule concludes when it fires."""

    conclude: tuple[str, ...] = field(default=(), metadata=key(Value.REFS, "fact ids: the facts it concludes",
                                                               refers="fact"))
    recommend: tuple[str, ...] = field(default=(), metadata=key(
        Value.REFS, "recommendation ids: the advice it gives", refers="recommendation"))
    verdict: str | None = field(default=None, metadata=key(Value.REF, "one verdict id: its candidate verdict",
                                                           refers="verdict"))
    # what the proposed verdict says in this case; None: the verdict's own summary
    summary: str | None = field(default=None, metadata=key(
        Value.TEXT, "beside `verdict`: what the verdict says in this case (see \"Choosing the verdict\")",
        needs=("verdict", "says what the proposed verdict means in this case")))

    AT_LEAST_ONE: ClassVar[tuple[str, ...]] = ("conclude", "recommend", "verdict")  # or it concludes nothing
    # What a rule that reads the verdict may not do: nothing drawn after the verdict is chosen may change it.
    NOT_AFTER_THE_VERDICT: ClassVar[dict[str, str]] = {"conclude": "conclude facts", "verdict": "propose a verdict"}


@record(frozen=True, kw_only=True)
class Rule:
    id: str = field(metadata=key(Value.ID, "states the advice, e.g. `agency-word-spreads`"))
    title: str = field(metadata=key(Value.TEXT, "plain words"))
    when: AllOf = field(metadata=key(Value.RULE_CONDITIONS, "a list of conditions, all of which must hold (see "
                                                            "below)"))
    then: Then = field(metadata=key(Value.RECORD, "what the rule concludes (see below)", record=Then))
    sources: tuple[str, ...] = field(metadata=key(Value.REFS, "list of section ids", refers="section"))
    rationale: str = field(metadata=key(Value.TEXT, "one or two sentences shown in explanations"))
    salience: int = field(default=0, metadata=key(
        Value.NUMBER, "integer from -100 to 100: of the rules ready to fire at once, higher fires first; it never "
        "changes what is asked, or when (see below)",
        within=range(-100, 101)))
    where: Where
    at: dict[str, Where] = field(default_factory=dict, compare=False)  # where each referenced id is written

    # What `then` says, read directly.
    @property
    def conclude(self) -> tuple[str, ...]:
        return self.then.conclude

    @property
    def recommend(self) -> tuple[str, ...]:
        return self.then.recommend

    @property
    def verdict(self) -> str | None:
        return self.then.verdict

    @property
    def summary(self) -> str | None:
        return self.then.summary

    def reads_verdict(self) -> bool:
        """Whether a condition reads the chosen verdict, so that the rule fires only after it is chosen."""
        return any(isinstance(c, VerdictIs) for c in self.when.conditions)


@record(frozen=True, kw_only=True)
class Recommendation:
    id: str = field(metadata=key(Value.ID, "e.g. `explain-your-withdrawal`"))
    title: str = field(metadata=key(Value.TEXT, "a short imperative"))
    advice: str = field(metadata=key(Value.TEXT, "two to four sentences of advice, in our own words"))
    sources: tuple[str, ...] = field(metadata=key(Value.REFS, "list of section ids", refers="section"))
    priority: int = field(default=0, metadata=key(Value.NUMBER, "integer, default 0; higher is shown first, ties "
                                                                "in knowledge order"))
    where: Where
    at: dict[str, Where] = field(default_factory=dict, compare=False)  # where each referenced id is written


@record(frozen=True, kw_only=True)
class Verdict:
    id: str = field(metadata=key(Value.ID, "e.g. `honour_commitment`; a knowledge base of your own names its own"))
    title: str = field(metadata=key(Value.TEXT, 'short, e.g. "Keep your word"'))
    summary: str = field(metadata=key(Value.TEXT, "one or two sentences on what to do"))
    priority: int = field(metadata=key(Value.NUMBER, "integer; decides between candidate verdicts"))
    where: Where


# What a later layer may write in an item, besides its keys (docs/knowledge-format.md, "Layers").
OVERRIDE, DISABLE = "override", "disable"
LAYER_KEYS = {OVERRIDE: "replace the item of this id from an earlier layer",
              DISABLE: "remove the item of this id that an earlier layer defines"}  # with 'id' alone


def _kind(singular: str, item: type) -> dict[str, object]:
    """A KnowledgeBase table's metadata: what one of its items is called, and the class of its items."""
    return {"singular": singular, "item": item}


@record
class KnowledgeBase:
    """Everything the knowledge files say, each kind keyed by id in knowledge order."""

    layers: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # "layer/name.yaml" -> sha256 of its bytes
    # The kinds of item, in the order a knowledge file's sections are read; KINDS below is made from them.
    sections: dict[str, Section] = field(default_factory=dict, metadata=_kind("section", Section))
    questions: dict[str, Question] = field(default_factory=dict, metadata=_kind("question", Question))
    facts: dict[str, FactDef] = field(default_factory=dict, metadata=_kind("fact", FactDef))
    rules: dict[str, Rule] = field(default_factory=dict, metadata=_kind("rule", Rule))
    recommendations: dict[str, Recommendation] = field(default_factory=dict, metadata=_kind(
        "recommendation", Recommendation))
    verdicts: dict[str, Verdict] = field(default_factory=dict, metadata=_kind("verdict", Verdict))
    # (kind, id) -> the layer it comes from; the layer it replaced; the layer that disabled it
    origin: dict[tuple[str, str], str] = field(default_factory=dict)
    overridden: dict[tuple[str, str], str] = field(default_factory=dict)
    disabled: dict[tuple[str, str], str] = field(default_factory=dict)
    # The rules that can fire and the facts they can conclude, derived once by check.check_knowledge, so the
    # warnings and the checks after it read them instead of deriving them again.
    reachable: tuple[frozenset[str], frozenset[str]] | None = None

    def identity(self) -> dict[str, object]:
        """What a transcript records to recognise this knowledge later: layers, file hashes, one digest."""
        digest = hashlib.sha256(json.dumps([self.layers, self.files], sort_keys=True).encode()).hexdigest()
        return {"layers": self.layers, "files": self.files, "digest": digest}

    def producers(self, fact: str) -> list[Rule]:
        """The rules that conclude `fact`."""
        return [r for r in self.rules.values() if fact in r.conclude]

    def concluders(self) -> dict[str, list[Rule]]:
        """producers() of every fact some rule concludes, found in one pass over the rules."""
        found: dict[str, list[Rule]] = {}
        for rule in self.rules.values():
            for fact in rule.conclude:
                found.setdefault(fact, []).append(rule)
        return found


@record(frozen=True)
class Kind:
    """One kind of item: its KnowledgeBase table (and key in a knowledge file), its name, its class."""

    table: str
    singular: str
    item: type[Any]

    @property
    def keys(self) -> Mapping[str, Key]:
        return keys_of(self.item)


KINDS: dict[str, Kind] = {f.name: Kind(f.name, **f.metadata)
                          for f in fields(KnowledgeBase) if f.metadata}
TABLES: dict[str, str] = {kind.singular: kind.table for kind in KINDS.values()}  # "rule" -> "rules"


def layer_dirs(layers: list[str]) -> list[Path]:
    """Resolve layer names to directories; the word 'default' names the built-in knowledge."""
    return [BUILT_IN if name == "default" else Path(name) for name in layers]


def layers_shown(layers: list[str]) -> str:
    """The layers' directories, for a problem that belongs to the knowledge as a whole."""
    return ", ".join(str(d) for d in layer_dirs(layers))
