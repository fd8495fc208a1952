"""Reading knowledge directories into a KnowledgeBase, reporting every shape problem with its position."""

from __future__ import annotations

import hashlib
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from . import knowledge_cache
from .check import check_knowledge
from .errors import KnowledgeError, Problem
from .knowledge import (
    DISABLE,
    FORMS,
    ID_PATTERN,
    KINDS,
    OVERRIDE,
    UNKNOWN,
    AllOf,
    AnswerIn,
    AnyOf,
    Condition,
    FactHolds,
    Key,
    Kind,
    KnowledgeBase,
    Not,
    Question,
    Rule,
    Then,
    Value,
    VerdictIs,
    Where,
    Wording,
    keys_of,
    layer_dirs,
    walk,
)
from .text import nearest, wording_label
from .yaml_source import LocatedDict, LocatedList, parse_yaml_bytes, read_file_bytes

# How deep 'not', 'all' and 'any' may nest: deeper is unreadable, and the bound keeps recursion safe.
MAX_CONDITION_DEPTH = 16

# The bytes of all knowledge files of all layers together: each file is bounded (yaml_source.MAX_FILE_BYTES), and
# this keeps loading and checking many of them bounded in time and memory too.
MAX_KNOWLEDGE_BYTES = 8 * 1024 * 1024

# The keys of conditions, from their forms in knowledge.py: every key, the keys that name a form, the forms of an
# answer condition ('is', 'one_of'), and those a wording may not use (it fits the person's own answers, not what
# rules made of them).
CONDITION_KEYS = tuple(dict.fromkeys(k for form in FORMS for k in form.keys))
FORM_NAMES = tuple(dict.fromkeys(next(iter(form.keys)) for form in FORMS))
ANSWER_FORMS = tuple(list(form.keys)[1] for form in FORMS if form.condition is AnswerIn)
RULE_ONLY_FORMS = tuple(next(iter(form.keys)) for form in FORMS if not form.answers_only)

T = TypeVar("T")


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
             label: str, nested: dict[str, Key] | None = None) -> bool:
        """Report unknown and missing keys; `nested`: the key whose own keys each unknown one may be, out-dented."""
        for key in item:
            if key not in allowed:
                parent = (nested or {}).get(key)
                hint = nearest(key, allowed) if parent is None else self.belongs(item, key, parent)
                self.report((item.path, *item.key_at[key]), f"{label}: unknown key '{key}'{hint}")
        missing = [k for k in required if k not in item]
        for key in missing:
            self.report(self.where(item), f"{label}: '{key}' is missing")
        return not missing

    def keys_for(self, item: LocatedDict, cls: type[Any], label: str, *also: str) -> bool:
        """`keys` for an item of `cls`, whose keys knowledge.py defines; `also`: others it may have."""
        known = keys_of(cls)
        nested = {name: k for k in known.values() if k.record is not None for name in keys_of(k.record)
                  if name not in known}
        return self.keys(item, (*known, *also), tuple(k.name for k in known.values() if k.required), label,
                         nested)

    @staticmethod
    def belongs(item: LocatedDict, key: str, parent: Key) -> str:
        """The hint for `key`, a key of `parent`'s value written at the level of `parent` itself."""
        place = f"under '{parent.name}:'" if parent.value is Value.RECORD else f"in an item of '{parent.name}:'"
        if parent.name not in item:
            return f"; it belongs {place}"
        line, col = item.key_at[parent.name]
        return f"; it belongs {place} (line {line}): indent it further than '{parent.name}' (column {col})"

    def value(self, data: LocatedDict, key: Key, label: str) -> Any:
        """The value of `key` in `data`, checked for its kind; the shapes of other kinds have readers of their own."""
        if key.value is Value.ID:
            return self.ident(data, key.name, label)
        if key.value is Value.TEXT:
            return self.text(data, key.name, label)
        if key.value is Value.REF:
            value = data.get(key.name)
            if value is not None and not isinstance(value, str):
                self.report(self.where(data, key.name), f"{label}: '{key.name}' must be one {key.refers} id")
                return None
            return value
        if key.value is Value.REFS:
            return self.id_list(data, key.name, label, required=key.required)
        if key.value is Value.NUMBER:
            return self.integer(data, key.name, label, 0, key.within)
        raise TypeError(f"'{key.name}' holds {key.value.value}, which load.py reads with code of its own")

    def build(self, cls: type[T], data: LocatedDict, label: str, **given: Any) -> T:
        """An item of `cls` from `data`: the values `given`, and every other key it has read by its kind.

        A key left out of `data` takes its field's default (a missing required one was reported before).
        """
        for key in keys_of(cls).values():
            if key.name not in given and (key.name in data or key.required):
                given[key.name] = self.value(data, key, label)
        return cls(**given)

    def positions_of(self, cls: type[Any], data: LocatedDict) -> dict[str, Where]:
        """Where each id that `data`'s keys name is written, as 'kind:id' (the keys of `cls` say which kind)."""
        return {f"{key.refers}:{ref}": at for key in keys_of(cls).values() if key.refers
                for ref, at in self.positions(data, key.name).items()}

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
        if not self.keys(data, CONDITION_KEYS, (), label):
            return None
        if "answer" in data:
            forms = [k for k in ANSWER_FORMS if k in data]
            if len(forms) != 1 or len(data) != 2:
                self.report(where, f"{label}: an answer condition needs 'answer' and exactly one of "
                                   + " or ".join(f"'{k}'" for k in ANSWER_FORMS))
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
            self.report(where, f"{label}: a condition has exactly one of "
                               + ", ".join(f"'{k}'" for k in FORM_NAMES))
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

    # Items with plain keys only are built by `build`; questions and rules have shapes of their own.
    def item(self, kind: Kind, raw: LocatedDict, label: str, where: Where) -> Any:
        """One item of `kind` from `raw`, or None when it cannot be built."""
        if kind.item is Question:
            return self.question(raw, label, where)
        if kind.item is Rule:
            return self.rule(raw, label, where)
        given: dict[str, Any] = {"where": where}
        if "at" in {f.name for f in fields(kind.item)}:
            given["at"] = self.positions_of(kind.item, raw)
        return self.build(kind.item, raw, label, **given)

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
        given: dict[str, Any] = {"values": values, "where": where}
        if "wording" in item:
            given["wording"] = self.wordings(item, label, values)
        return self.build(Question, item, label, **given)

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
            elif self.keys_for(raw, Wording, here):
                if len(raw) == 1:  # only 'when'; a misspelt key was named above
                    self.report(self.where(raw), f"{here}: give at least one of "
                                + ", ".join(f"'{k}'" for k in Wording.AT_LEAST_ONE[:-1])
                                + f" or '{Wording.AT_LEAST_ONE[-1]}'")
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
        variant = self.build(Wording, raw, label, when=AllOf(when or (), self.where(raw, "when")),
                             values=meanings or {}, where=self.where(raw))
        return None if when is None or meanings is None else variant

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

    def rule(self, item: LocatedDict, label: str, where: Where) -> Rule | None:
        when = self.conditions(item["when"], label, self.where(item, "when"))
        then = item["then"]
        if not isinstance(then, LocatedDict) or not then:
            self.report(self.where(item, "then"), f"{label}: 'then' must say what the rule concludes: "
                        + ", ".join(Then.AT_LEAST_ONE[:-1]) + f" and/or {Then.AT_LEAST_ONE[-1]}")
            return None
        self.keys_for(then, Then, label)
        for key in keys_of(Then).values():
            if key.needs and key.name in then and key.needs[0] not in then:
                self.report((then.path, *then.key_at[key.name]),
                            f"{label}: '{key.name}' {key.needs[1]}; add '{key.needs[0]}' beside it")
        if when and any(isinstance(c, VerdictIs) for c in when):
            for name, what in Then.NOT_AFTER_THE_VERDICT.items():
                if name in then:
                    # Facts and candidates drawn after the verdict is chosen could no longer change it.
                    self.report((then.path, *then.key_at[name]), f"{label}: a rule that reads the verdict may "
                                                                 f"only recommend; it cannot {what}")
        rule = self.build(Rule, item, label, when=AllOf(when or (), self.where(item, "when")),
                          then=self.build(Then, then, label), where=where,
                          at=self.positions_of(Rule, item) | self.positions_of(Then, then))
        return rule if when is not None else None

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
            if kind not in data:
                continue
            items = data[kind]
            if not isinstance(items, LocatedList):
                self.report(self.where(data, kind), f"'{kind}' must be a list of {kind}")
                continue
            for raw in items:
                if not isinstance(raw, LocatedDict):
                    self.report(self.where(raw) if hasattr(raw, "path") else self.where(items),
                                f"each of the {kind} must be a mapping with an 'id'")
                    continue
                label = f"{shape.singular} '{raw['id']}'" if isinstance(raw.get("id"), str) else shape.singular
                if DISABLE in raw:
                    self.disable(raw, kind, label, kb, layer)
                    continue
                if not self.keys_for(raw, shape.item, label, OVERRIDE):
                    continue
                where = self.where(raw)
                item = self.item(shape, raw, label, where)
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
        override = raw.get(OVERRIDE, False)
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
        if not self.keys(raw, ("id", DISABLE), ("id",), label):
            return
        if raw[DISABLE] is not True:
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
    """Load and check the knowledge in `layers` (directories, or 'default'); KnowledgeError if unusable.

    Knowledge that loaded before, from the same bytes, comes from the cache (knowledge_cache.py)."""
    reader = _Reader()
    read: list[tuple[int, str, Path, bytes, str]] = []  # layer number, layer, path, bytes, their SHA-256
    total = 0
    for number, (layer, directory) in enumerate(zip(layers, layer_dirs(layers))):
        try:
            files = knowledge_files(directory)
        except KnowledgeError as exc:
            reader.problems.extend(exc.problems)
            continue
        for path in files:
            try:
                data = read_file_bytes(path, str(path))
            except KnowledgeError as exc:
                reader.problems.extend(exc.problems)
                continue
            total += len(data)
            if total > MAX_KNOWLEDGE_BYTES:  # stop here: what follows would only take longer to refuse
                raise KnowledgeError([*reader.problems, Problem(
                    str(path), 0, 0, f"with this file the knowledge of all layers comes to more than "
                                     f"{MAX_KNOWLEDGE_BYTES} bytes, the most offercoach reads; make it smaller")])
            read.append((number, layer, path, data, hashlib.sha256(data).hexdigest()))
    entry = knowledge_cache.key(list(layers), [(f"{layer}/{path.name}", sha) for _, layer, path, _, sha in read])
    if not reader.problems and (cached := knowledge_cache.fetch(entry)) is not None:
        return cached
    kb = KnowledgeBase(layers=list(layers))
    seen: dict[tuple[str, str], Where] = {}
    for n, (number, layer, path, data, sha) in enumerate(read):
        if n and read[n - 1][0] != number:
            seen = {}  # an id may be defined once per layer
        kb.files[f"{layer}/{path.name}"] = sha
        try:
            reader.read_file(parse_yaml_bytes(data, str(path)), str(path), kb, seen, layer)
        except KnowledgeError as exc:
            reader.problems.extend(exc.problems)
    if reader.problems:
        raise KnowledgeError(reader.problems)
    check_knowledge(kb)
    knowledge_cache.store(entry, kb)
    return kb
