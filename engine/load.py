"""Reading knowledge directories into a KnowledgeBase, reporting every shape problem with its position."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .check import check_knowledge
from .errors import KnowledgeError, Problem
from .knowledge import (
    KINDS,
    UNKNOWN,
    AllOf,
    AnswerIn,
    AnyOf,
    Condition,
    FactDef,
    FactHolds,
    KnowledgeBase,
    Not,
    Question,
    Recommendation,
    Rule,
    Section,
    Verdict,
    VerdictIs,
    Where,
    Wording,
    layer_dirs,
    walk,
)
from .text import nearest, wording_label
from .yaml_source import LocatedDict, LocatedList, parse_yaml_bytes, read_file_bytes

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SALIENCE_RANGE = range(-100, 101)
# How deep 'not', 'all' and 'any' may nest: deeper is unreadable, and the bound keeps recursion safe.
MAX_CONDITION_DEPTH = 16

CONDITION_FORMS = ("answer", "is", "one_of", "fact", "verdict", "not", "all", "any")
THEN_KEYS = ("conclude", "recommend", "verdict", "summary")
LAYER_KEYS = ("override",)  # and 'disable', which stands alone with 'id'
WORDING_KEYS = ("when", "prompt", "help", "values")
RULE_ONLY_FORMS = ("fact", "verdict")  # a wording fits the person's own answers, not what rules made of them


def knowledge_files(directory: Path) -> list[Path]:
    """The knowledge files of one directory: *.yaml and *.yml directly in it, in name order."""
    try:
        if not directory.is_dir():
            what = "is not a directory" if directory.exists() else "does not exist"
            raise KnowledgeError([Problem(str(directory), 0, 0, f"the knowledge directory {what}")])
        candidates = sorted((p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")),
                            key=lambda p: p.name)
    except OSError as exc:
        raise KnowledgeError([Problem(str(directory), 0, 0,
                                      f"cannot list the directory: {exc.strerror}")]) from None
    problems = []
    inside = directory.resolve()
    for path in candidates:
        if path.is_symlink() and not path.exists():
            problems.append(Problem(str(path), 0, 0,
                                    "a broken or looping symbolic link; remove it or fix it"))
        elif not path.is_file():
            problems.append(Problem(str(path), 0, 0, "not a regular file; knowledge files are YAML files"))
        elif not path.resolve().is_relative_to(inside):
            problems.append(Problem(str(path), 0, 0,
                                    "links outside the knowledge directory; copy the file in"))
    if problems:
        raise KnowledgeError(problems)
    return candidates


class _Reader:
    """Turns located YAML data into knowledge items, collecting problems instead of stopping."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def report(self, where: Where | tuple[str, int, int], message: str) -> None:
        path, line, col = (where.path, where.line, where.col) if isinstance(where, Where) else where
        self.problems.append(Problem(path, line, col, message))

    @staticmethod
    def where(data: Any, key: str | None = None) -> Where:
        if key is not None and isinstance(data, LocatedDict) and key in data.value_at:
            return Where(data.path, *data.value_at[key])
        return Where(getattr(data, "path", "?"), getattr(data, "line", 0), getattr(data, "col", 0))

    def text(self, item: LocatedDict, key: str, label: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            self.report(self.where(item, key), f"{label}: '{key}' must be text")
            return ""
        return value.strip()

    def ident(self, item: LocatedDict, key: str, label: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.report(self.where(item, key), f"{label}: '{key}' must be an id of lower-case words "
                                               f"joined by '-' or '_', not {value!r}")
            return str(value)
        return value

    def integer(self, item: LocatedDict, key: str, label: str, default: int,
                allowed: range | None = None) -> int:
        value = item.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(self.where(item, key), f"{label}: '{key}' must be a whole number, not {value!r}")
            return default
        if allowed is not None and value not in allowed:
            self.report(self.where(item, key), f"{label}: '{key}' must be between "
                                               f"{allowed.start} and {allowed.stop - 1}")
            return default
        return value

    def id_list(self, item: LocatedDict, key: str, label: str, required: bool = True) -> tuple[str, ...]:
        value = item.get(key)
        if value is None and not required:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or (required and not value) or \
                not all(isinstance(v, str) for v in value):
            self.report(self.where(item, key), f"{label}: '{key}' must be a list of ids")
            return ()
        return tuple(value)

    @staticmethod
    def positions(item: LocatedDict, key: str) -> dict[str, Where]:
        """Where each id listed under `key` is written."""
        value = item.get(key)
        if isinstance(value, LocatedList):
            return {v: Where(value.path, *at) for v, at in zip(value, value.item_at) if isinstance(v, str)}
        if isinstance(value, str):
            return {value: Where(item.path, *item.value_at[key])}
        return {}

    def keys(self, item: LocatedDict, allowed: tuple[str, ...], required: tuple[str, ...],
             label: str) -> bool:
        for key in item:
            if key not in allowed:
                self.report((item.path, *item.key_at[key]),
                            f"{label}: unknown key '{key}'{nearest(key, allowed)}")
        missing = [k for k in required if k not in item]
        for key in missing:
            self.report(self.where(item), f"{label}: '{key}' is missing")
        return not missing

    def condition(self, data: Any, label: str, depth: int = 0, inside: str = "") -> Condition | None:
        if depth > MAX_CONDITION_DEPTH:
            self.report(self.where(data), f"{label}: conditions nested more than {MAX_CONDITION_DEPTH} deep; "
                                          "split the rule")
            return None
        if not isinstance(data, LocatedDict) or not data:
            self.report(self.where(data), f"{label}: a condition must be a mapping such as "
                                          "{answer: situation, is: weighing_offer}")
            return None
        where = self.where(data)
        if not self.keys(data, CONDITION_FORMS, (), label):
            return None
        if "answer" in data:
            forms = [k for k in ("is", "one_of") if k in data]
            if len(forms) != 1 or len(data) != 2:
                self.report(where, f"{label}: an answer condition needs 'answer' and exactly one of "
                                   "'is' or 'one_of'")
                return None
            question = self.ident(data, "answer", label)
            values = data[forms[0]]
            values = [values] if forms[0] == "is" else values
            if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
                self.report(self.where(data, forms[0]), f"{label}: '{forms[0]}' must be "
                            + ("a value" if forms[0] == "is" else "a list of values"))
                return None
            return AnswerIn(question, tuple(values), self.where(data, forms[0]))
        if len(data) != 1:
            self.report(where, f"{label}: a condition has exactly one of 'answer', 'fact', 'verdict', 'not', "
                               "'all', 'any'")
            return None
        (form, value), = data.items()
        if form == "fact":
            return FactHolds(self.ident(data, "fact", label), self.where(data, "fact"))
        if form == "verdict":
            return self.verdict_condition(data, label, inside)
        if form == "not":
            inner = self.condition(value, label, depth + 1, "not")
            return Not(inner, where) if inner else None
        if form in ("all", "any"):
            group = self.conditions(value, label, self.where(data, form), depth + 1, form)
            if group is None:
                return None
            return (AllOf if form == "all" else AnyOf)(group, where)
        self.report(where, f"{label}: '{form}' needs 'answer' beside it")
        return None

    def verdict_condition(self, data: LocatedDict, label: str, inside: str) -> VerdictIs | None:
        """`{verdict: ID}` or `{verdict: [ID, ...]}`, which only the top level of 'when' may hold."""
        if inside:
            # The verdict is chosen once, after everything else has settled:
            # only a whole rule can wait for it.
            self.report(self.where(data), f"{label}: a 'verdict' condition must stand at the top level "
                                          f"of 'when', not inside '{inside}'")
            return None
        value = data["verdict"]
        ids = [value] if isinstance(value, str) else value
        if not isinstance(ids, list) or not ids \
                or not all(isinstance(v, str) and ID_PATTERN.match(v) for v in ids):
            self.report(self.where(data, "verdict"), f"{label}: 'verdict' must be a verdict id or a list of "
                                                     "verdict ids")
            return None
        at = self.positions(data, "verdict")
        return VerdictIs(tuple(ids), self.where(data, "verdict"), tuple(at[v] for v in ids))

    def conditions(self, data: Any, label: str, where: Where, depth: int = 0,
                   inside: str = "") -> tuple[Condition, ...] | None:
        if not isinstance(data, list):
            self.report(where, f"{label}: expected a list of conditions")
            return None
        parsed = [self.condition(c, label, depth, inside) for c in data]
        return None if None in parsed else tuple(c for c in parsed if c is not None)

    # One builder per kind; each returns the item, or None when it cannot be built.
    def section(self, item: LocatedDict, label: str, where: Where) -> Section:
        return Section(self.ident(item, "id", label), self.text(item, "title", label),
                       self.text(item, "summary", label), where)

    def meanings(self, item: LocatedDict, label: str,
                 known: dict[str, str] | None = None) -> dict[str, str] | None:
        """The 'values' of `item`, each with its meaning; with `known`, some of those values re-worded."""
        values = item["values"]
        if not isinstance(values, LocatedDict) or not values:
            self.report(self.where(item, "values"), f"{label}: 'values' must map " + (
                "each allowed value to its meaning" if known is None
                else "some of the question's values to the meaning to show instead"))
            return None
        for value, meaning in values.items():
            at = (values.path, *values.key_at[value])
            if known is None and not ID_PATTERN.match(value):
                self.report(at, f"{label}: the value {value!r} must be lower-case words joined by '_' or '-'")
            elif value == UNKNOWN:
                self.report(at, f"{label}: 'unknown' is always allowed; do not list it")
            elif known is not None and value not in known:
                self.report(at, f"{label}: '{value}' is not a value of this question{nearest(value, known)} "
                                f"(its values: {', '.join(known)})")
            if not isinstance(meaning, str) or not meaning.strip():
                self.report(at, f"{label}: the value '{value}' needs a meaning in words")
        return {k: str(v).strip() for k, v in values.items() if k != UNKNOWN}

    def question(self, item: LocatedDict, label: str, where: Where) -> Question | None:
        values = self.meanings(item, label)
        if values is None:
            return None
        return Question(self.ident(item, "id", label), self.text(item, "prompt", label),
                        self.text(item, "help", label), values, where,
                        self.wordings(item, label, values) if "wording" in item else ())

    def wordings(self, item: LocatedDict, label: str, values: dict[str, str]) -> tuple[Wording, ...]:
        """A question's 'wording' list: variants, each with 'when' and a 'prompt', 'help' or 'values'."""
        data = item["wording"]
        if not isinstance(data, LocatedList) or not data:
            self.report(self.where(item, "wording"), f"{label}: 'wording' must be a list of variants, "
                                                     "each with 'when' and a 'prompt', 'help' or 'values'")
            return ()
        variants = []
        for n, (raw, at) in enumerate(zip(data, data.item_at), 1):
            here = wording_label(label, n)
            if not isinstance(raw, LocatedDict):
                self.report(Where(data.path, *at), f"{here}: a variant must be a mapping such as "
                                                   "{when: [...], prompt: ...}")
            elif self.keys(raw, WORDING_KEYS, ("when",), here):
                if len(raw) == 1:  # only 'when'; a misspelt key was named above
                    self.report(self.where(raw), f"{here}: give at least one of 'prompt', 'help' or 'values'")
                    continue
                variant = self.wording(raw, here, item.get("id"), values)
                if variant is not None:
                    variants.append(variant)
        return tuple(variants)

    def wording(self, raw: LocatedDict, label: str, question: Any, values: dict[str, str]) -> Wording | None:
        """One variant of a question's wording, or None when it cannot be built."""
        when = None if self.rule_only_forms(raw["when"], label) else \
            self.conditions(raw["when"], label, self.where(raw, "when"))
        for cond in (c for top in when or () for c in walk(top)):
            if isinstance(cond, AnswerIn) and cond.question == question:
                self.report(cond.where, f"{label}: a wording cannot read its own question '{question}'; "
                                        "it has no answer yet when it is asked")
        meanings = self.meanings(raw, label, values) if "values" in raw else {}
        prompt, help_text = (self.text(raw, key, label) if key in raw else None for key in ("prompt", "help"))
        if when is None or meanings is None:
            return None
        return Wording(AllOf(when, self.where(raw, "when")), prompt, help_text, meanings, self.where(raw))

    def rule_only_forms(self, data: Any, label: str) -> bool:
        """Report each 'fact' or 'verdict' condition anywhere in a wording's `when`; whether there was one."""
        found, todo = False, [data]
        while todo:  # every mapping under 'when' is a condition, however deep in 'not', 'all' and 'any'
            node = todo.pop()
            if isinstance(node, LocatedDict):
                for key in RULE_ONLY_FORMS:
                    if key in node:
                        self.report((node.path, *node.key_at[key]), f"{label}: a wording reads answers only; "
                                                                    f"'{key}' conditions are for rules")
                        found = True
                todo.extend(node.values())
            elif isinstance(node, list):
                todo.extend(node)
        return found

    def fact(self, item: LocatedDict, label: str, where: Where) -> FactDef:
        return FactDef(self.ident(item, "id", label), self.text(item, "meaning", label), where)

    def rule(self, item: LocatedDict, label: str, where: Where) -> Rule | None:
        when = self.conditions(item["when"], label, self.where(item, "when"))
        then = item["then"]
        if not isinstance(then, LocatedDict) or not then:
            self.report(self.where(item, "then"), f"{label}: 'then' must say what the rule concludes: "
                                                  "conclude, recommend and/or verdict")
            return None
        self.keys(then, THEN_KEYS, (), label)
        verdict = then.get("verdict")
        if verdict is not None and not isinstance(verdict, str):
            self.report(self.where(then, "verdict"), f"{label}: 'verdict' must be one verdict id")
            verdict = None
        summary = self.text(then, "summary", label) if "summary" in then else None
        if summary is not None and "verdict" not in then:
            self.report((then.path, *then.key_at["summary"]),
                        f"{label}: 'summary' says what the proposed verdict means in this case; "
                        "add 'verdict' beside it")
        if when and any(isinstance(c, VerdictIs) for c in when):
            for key, what in (("conclude", "conclude facts"), ("verdict", "propose a verdict")):
                if key in then:
                    # Facts and candidates drawn after the verdict is chosen could no longer change it.
                    self.report((then.path, *then.key_at[key]), f"{label}: a rule that reads the verdict may "
                                                                f"only recommend; it cannot {what}")
        rule = Rule(self.ident(item, "id", label), self.text(item, "title", label),
                    AllOf(when or (), self.where(item, "when")),
                    self.id_list(then, "conclude", label, required=False),
                    self.id_list(then, "recommend", label, required=False), verdict,
                    self.id_list(item, "sources", label), self.text(item, "rationale", label),
                    self.integer(item, "salience", label, 0, SALIENCE_RANGE), where,
                    {f"{kind}:{ref}": at for kind, mapping, key in (
                        ("section", item, "sources"), ("fact", then, "conclude"),
                        ("recommendation", then, "recommend"), ("verdict", then, "verdict"))
                     for ref, at in self.positions(mapping, key).items()}, summary=summary or None)
        return rule if when is not None else None

    def recommendation(self, item: LocatedDict, label: str, where: Where) -> Recommendation:
        return Recommendation(self.ident(item, "id", label), self.text(item, "title", label),
                              self.text(item, "advice", label), self.id_list(item, "sources", label),
                              self.integer(item, "priority", label, 0), where,
                              {f"section:{ref}": at for ref, at in self.positions(item, "sources").items()})

    def verdict(self, item: LocatedDict, label: str, where: Where) -> Verdict:
        return Verdict(self.ident(item, "id", label), self.text(item, "title", label),
                       self.text(item, "summary", label), self.integer(item, "priority", label, 0), where)

    def read_file(self, data: Any, path: str, kb: KnowledgeBase, seen: dict[tuple[str, str], Where],
                  layer: str) -> None:
        if data is None:
            return
        if not isinstance(data, LocatedDict):
            self.report(self.where(data) if hasattr(data, "path") else Where(path, 1, 1),
                        "a knowledge file must be a mapping with keys such as 'questions:' or 'rules:'")
            return
        self.keys(data, tuple(KINDS), (), "file")
        for kind, shape in KINDS.items():
            singular, required, optional = shape.singular, shape.required, shape.optional
            if kind not in data:
                continue
            items = data[kind]
            if not isinstance(items, LocatedList):
                self.report(self.where(data, kind), f"'{kind}' must be a list of {kind}")
                continue
            build: Callable[[LocatedDict, str, Where], Any] = getattr(self, singular)
            for raw in items:
                if not isinstance(raw, LocatedDict):
                    self.report(self.where(raw) if hasattr(raw, "path") else self.where(items),
                                f"each of the {kind} must be a mapping with an 'id'")
                    continue
                label = f"{singular} '{raw['id']}'" if isinstance(raw.get("id"), str) else singular
                if "disable" in raw:
                    self.disable(raw, kind, label, kb, layer)
                    continue
                if not self.keys(raw, required + optional + LAYER_KEYS, required, label):
                    continue
                where = self.where(raw)
                item = build(raw, label, where)
                if item is None:
                    continue
                earlier = seen.get((kind, item.id))
                if earlier is not None:
                    self.report(where, f"{label} is defined twice in this layer (first at {earlier})")
                    continue
                seen[(kind, item.id)] = where
                self.place(raw, kind, item, label, kb, layer)

    def place(self, raw: LocatedDict, kind: str, item: Any, label: str, kb: KnowledgeBase,
              layer: str) -> None:
        """Add `item` to the knowledge; replacing an earlier layer's item needs 'override: true'."""
        table = getattr(kb, kind)
        override = raw.get("override", False)
        if override is not True and override is not False:
            self.report(self.where(raw, "override"), f"{label}: 'override' must be true or false")
            return
        if item.id in table and not override:
            self.report(item.where, f"{label} is already defined in layer '{kb.origin[(kind, item.id)]}' "
                                    f"({table[item.id].where}); add 'override: true' to replace it")
            return
        if override and item.id not in table:
            self.report(self.where(raw, "override"), f"{label} has 'override: true', but no earlier layer "
                                                     f"defines it{nearest(item.id, table)}")
            return
        if override:
            kb.overridden[(kind, item.id)] = kb.origin[(kind, item.id)]
        table.pop(item.id, None)  # an overriding item moves to the end, after the earlier layers' items
        table[item.id] = item
        kb.origin[(kind, item.id)] = layer

    def disable(self, raw: LocatedDict, kind: str, label: str, kb: KnowledgeBase, layer: str) -> None:
        """Remove an earlier layer's item: '- {id: some-rule, disable: true}'."""
        if not self.keys(raw, ("id", "disable"), ("id",), label):
            return
        if raw["disable"] is not True:
            self.report(self.where(raw, "disable"), f"{label}: 'disable' must be true")
            return
        table = getattr(kb, kind)
        if raw["id"] not in table:
            self.report(self.where(raw, "id"), f"{label} cannot be disabled: no earlier layer defines it"
                                               f"{nearest(raw['id'], table)}")
            return
        del table[raw["id"]]
        kb.disabled[(kind, raw["id"])] = layer


def load_knowledge(layers: list[str]) -> KnowledgeBase:
    """Load and check the knowledge in `layers` (directories, or 'default'); KnowledgeError if unusable."""
    reader = _Reader()
    kb = KnowledgeBase(layers=list(layers))
    for layer, directory in zip(layers, layer_dirs(layers)):
        seen: dict[tuple[str, str], Where] = {}
        try:
            files = knowledge_files(directory)
        except KnowledgeError as exc:
            reader.problems.extend(exc.problems)
            continue
        for path in files:
            try:
                data = read_file_bytes(path, str(path))
                kb.files[f"{layer}/{path.name}"] = hashlib.sha256(data).hexdigest()
                reader.read_file(parse_yaml_bytes(data, str(path)), str(path), kb, seen, layer)
            except KnowledgeError as exc:
                reader.problems.extend(exc.problems)
    if reader.problems:
        raise KnowledgeError(reader.problems)
    check_knowledge(kb)
    return kb

