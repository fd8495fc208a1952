"""The knowledge as a graph of what each rule reads and writes, in Graphviz DOT or Mermaid."""

from __future__ import annotations

import re

from .knowledge import AnswerIn, FactHolds, KnowledgeBase, Not, VerdictIs, walk

SHAPES = {"question": ("box", '["{}"]'), "rule": ("ellipse", '("{}")'), "fact": ("note", '[/"{}"/]'),
          "recommendation": ("component", '[["{}"]]'), "verdict": ("doubleoctagon", '{{{{"{}"}}}}')}


Node = tuple[str, str]  # (kind, id)


def edges(kb: KnowledgeBase) -> tuple[list[Node], list[tuple[Node, Node, bool]]]:
    """Nodes and edges (from, to, negated): what each rule reads, and what it concludes."""
    nodes: list[Node] = [("question", q) for q in kb.questions]
    links = []
    for rule in kb.rules.values():
        node = ("rule", rule.id)
        nodes.append(node)
        negated = {id(c) for n in walk(rule.when) if isinstance(n, Not) for c in walk(n.condition)}
        for cond in walk(rule.when):
            if isinstance(cond, AnswerIn):
                links.append((("question", cond.question), node, id(cond) in negated))
            elif isinstance(cond, FactHolds):
                links.append((("fact", cond.fact), node, id(cond) in negated))
            elif isinstance(cond, VerdictIs):  # the chosen verdict, read once it is resolved
                links += [(("verdict", v), node, False) for v in cond.verdicts]
        links += [(node, ("fact", f), False) for f in rule.conclude]
        links += [(node, ("recommendation", r), False) for r in rule.recommend]
        links += [(node, ("verdict", rule.verdict), False)] if rule.verdict else []
    nodes += [("fact", f) for f in kb.facts] + [("recommendation", r) for r in kb.recommendations]
    nodes += [("verdict", v) for v in kb.verdicts]
    return nodes, list(dict.fromkeys(links))


PREFIXES = {"question": "q", "rule": "r", "fact": "f", "recommendation": "rec", "verdict": "v"}


def _mermaid_id(node: Node) -> str:
    return f"{PREFIXES[node[0]]}_{re.sub(r'[^A-Za-z0-9]', '_', node[1])}"


def mermaid(kb: KnowledgeBase) -> str:
    nodes, links = edges(kb)
    lines = ["flowchart LR"]
    lines += [f"  {_mermaid_id(n)}{SHAPES[n[0]][1].format(f'{n[0]}: {n[1]}')}" for n in nodes]
    lines += [f"  {_mermaid_id(a)} {'-. not .->' if neg else '-->'} {_mermaid_id(b)}" for a, b, neg in links]
    return "\n".join(lines) + "\n"


def dot(kb: KnowledgeBase) -> str:
    nodes, links = edges(kb)
    lines = ["digraph offercoach {", "  rankdir=LR;"]
    lines += [f'  "{k}:{i}" [shape={SHAPES[k][0]}, label="{k}\\n{i}"];' for k, i in nodes]
    lines += [f'  "{a[0]}:{a[1]}" -> "{b[0]}:{b[1]}"{" [style=dashed, label=not]" if neg else ""};'
              for a, b, neg in links]
    return "\n".join(lines + ["}"]) + "\n"
