"""'rules list' and 'rules show': the rules as rows; any item as written, where it is, and what it means."""

from __future__ import annotations

import json
from pathlib import Path

from tabulate import tabulate

from .errors import UsageError
from .knowledge import KINDS, AnswerIn, FactHolds, KnowledgeBase, Question, Rule, VerdictIs, Where, layer_dirs, walk
from .text import condition_text, item_title, not_found, para, sources_line

# The kinds 'rules show' looks an id up in, and shows in this order: rules first, then the others in knowledge
# order, and sections, which only the items' sources name, last.
SHOWN = ("rules", *(kind for kind in KINDS if kind not in ("sections", "rules")), "sections")


def rule_rows(kb: KnowledgeBase) -> list[dict[str, object]]:
    """One row per rule for 'rules list'."""
    return [{"id": r.id, "title": r.title, "sources": ", ".join(r.sources), "salience": r.salience,
             "where": in_layer(kb.origin.get(("rules", r.id), ""), r.where), "layer": kb.origin.get(("rules", r.id), "")}
            for r in kb.rules.values()]


def in_layer(layer: str, where: Where) -> str:
    """'layer/file:line': where an item is written, from its layer as named ('default/rules.yaml:12')."""
    try:
        inside = Path(where.path).relative_to(layer_dirs([layer])[0]) if layer else None
    except ValueError:
        inside = None
    return f"{layer}/{inside.as_posix()}:{where.line}" if inside is not None else str(where)


def listing(kb: KnowledgeBase, fmt: str) -> str:
    """'rules list' as a table, or as JSON with `fmt` 'json' (where each rule's sources are a list)."""
    rows = rule_rows(kb)
    if fmt == "json":
        return json.dumps([{**row, "sources": list(kb.rules[str(row["id"])].sources)} for row in rows], indent=2)
    return tabulate(rows, headers="keys")


def source_text(where: Where) -> str:
    """The lines of the list item that starts at `where`, as the coach wrote them."""
    lines = Path(where.path).read_text(encoding="utf-8").splitlines()
    dash = where.col - 3  # the item's '- ' stands two columns before its first key
    taken = [lines[where.line - 1]]
    for line in lines[where.line:]:
        if line.strip() and len(line) - len(line.lstrip()) <= dash:
            break
        taken.append(line)
    while taken and (not taken[-1].strip() or taken[-1].lstrip().startswith("#")):
        taken.pop()
    return "\n".join(taken)


def where_from(kb: KnowledgeBase, kind: str, item_id: str, where: object) -> str:
    """'file:line, layer L' for an item, naming the layer it replaced if any."""
    text = f"{where}, layer '{kb.origin.get((kind, item_id), '?')}'"
    if (kind, item_id) in kb.overridden:
        text += f" (overrides layer '{kb.overridden[(kind, item_id)]}')"
    return text


def _reads(kb: KnowledgeBase, rule: Rule) -> list[str]:
    return [para(condition_text(kb, c), "      ", first="    - ") for c in rule.when.conditions] \
        or ["    - nothing"]


def _concludes(kb: KnowledgeBase, rule: Rule) -> list[str]:
    out = [f"fact {f}: {item_title(kb, 'fact', f)}" for f in rule.conclude]
    out += [f"recommendation {r}: {item_title(kb, 'recommendation', r)}" for r in rule.recommend]
    if rule.verdict:
        out.append(f"verdict {rule.verdict}: {item_title(kb, 'verdict', rule.verdict)} (a candidate)")
    out += [f"in this case the verdict says: {rule.summary}"] if rule.summary else []
    return [para(line, "      ", first="    - ") for line in out]


def _wording_lines(kb: KnowledgeBase, question: Question) -> list[str]:
    """A question's other wordings for 'rules show', each with the answers that choose it."""
    if not question.wording:
        return []
    lines = ["  Worded otherwise when the answers so far fit (the first that fits is used):"]
    for n, variant in enumerate(question.wording, 1):
        fits = " and ".join(condition_text(kb, c) for c in variant.when.conditions) or "always"
        lines.append(para(f"{n}. when {fits}:", "       ", first="    "))
        shown = [("prompt", variant.prompt), ("help", variant.help),
                 *((f"meaning of {value}", meaning) for value, meaning in variant.values.items())]
        lines += [para(f"{key}: {text}", "         ", first="       ") for key, text in shown if text]
    return lines


def show_item(kb: KnowledgeBase, kind: str, item_id: str, source: str) -> str:
    """'rules show' for one item: where it is written, the text as written, and what it means."""
    item = getattr(kb, kind)[item_id]
    lines = [f"{KINDS[kind].singular} {item_id}  ({where_from(kb, kind, item_id, item.where)})", "",
             source.rstrip(), ""]
    if kind == "rules":
        lines += ["  When all of these hold:", *_reads(kb, item), "  it concludes:", *_concludes(kb, item),
                  para(f"Why it matters: {item.rationale}", "    ", first="  "),
                  para(f"Sources: {sources_line(kb, item.sources)}", "    ", first="  ")]
    elif kind == "questions":
        users = [r.id for r in kb.rules.values()
                 if any(isinstance(c, AnswerIn) and c.question == item_id for c in walk(r.when))]
        lines += [f"  Allowed answers: {', '.join(item.allowed)}",
                  f"  Read by: {', '.join(users) or 'no rule'}"]
        lines += _wording_lines(kb, item)
    elif kind == "facts":
        readers = [r.id for r in kb.rules.values()
                   if any(isinstance(c, FactHolds) and c.fact == item_id for c in walk(r.when))]
        lines += [f"  Concluded by: {', '.join(r.id for r in kb.producers(item_id)) or 'no rule'}",
                  f"  Read by: {', '.join(readers) or 'no rule'}"]
    elif kind == "recommendations":
        givers = [r.id for r in kb.rules.values() if item_id in r.recommend]
        lines += [f"  Given by: {', '.join(givers) or 'no rule'}",
                  para(f"Sources: {sources_line(kb, item.sources)}", "    ", first="  ")]
    elif kind == "sections":
        for table in ("rules", "recommendations"):
            citing = [i.id for i in getattr(kb, table).values() if item_id in i.sources]
            lines.append(para(f"Cited by {table}: {', '.join(citing) or 'none'}", "    ", first="  "))
    elif kind == "verdicts":
        proposers = [r.id for r in kb.rules.values() if r.verdict == item_id]
        lines += [f"  Priority: {item.priority}", f"  Proposed by: {', '.join(proposers) or 'no rule'}"]
        readers = [r.id for r in kb.rules.values()
                   if any(isinstance(c, VerdictIs) and item_id in c.verdicts for c in r.when.conditions)]
        lines += [f"  Read by: {', '.join(readers)}"] if readers else []
    return "\n".join(lines) + "\n"


def show(kb: KnowledgeBase, item_id: str) -> str:
    """'rules show ID': every item with that id, as written and what it means; UsageError if there is none."""
    kinds = [kind for kind in SHOWN if item_id in getattr(kb, kind)]
    if not kinds:
        every = [i for kind in SHOWN for i in getattr(kb, kind)]
        raise UsageError(not_found("item", item_id, every, "in the knowledge"))
    return "\n".join(show_item(kb, kind, item_id, source_text(getattr(kb, kind)[item_id].where))
                     for kind in kinds)
