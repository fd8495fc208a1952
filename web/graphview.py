"""The rule graph (`rules graph`) drawn as SVG on the server: no script and nothing fetched from elsewhere.

Layered left to right: each node stands one column right of the furthest node it reads from, so questions come
first and verdicts last; within a column, nodes are ordered by where their inputs stand, to keep lines short.
"""

from __future__ import annotations

from html import escape

Node = tuple[str, str]

COLOURS = {"question": ("#e8f0fc", "#1f5fbf"), "rule": ("#ffffff", "#1d2330"), "fact": ("#fff4de", "#7a4a00"),
           "recommendation": ("#e6f4ec", "#0f5132"), "verdict": ("#f3e8fd", "#5b2a86")}
ROW = 30
GAP_Y = 8
GAP_X = 70
CHAR = 7.0  # px per character at the font size used
MARGIN = 16


def _ranks(nodes: list[Node], links: list[tuple[Node, Node, bool]]) -> dict[Node, int]:
    rank = {n: 0 for n in nodes}
    for _ in range(len(nodes)):  # longest path from the inputs, bounded so that a cycle cannot loop forever
        changed = False
        for a, b, _neg in links:
            if a in rank and b in rank and rank[b] < rank[a] + 1 and b[0] != "question":
                rank[b] = rank[a] + 1
                changed = True
        if not changed:
            break
    return rank


def graph_svg(nodes: list[Node], links: list[tuple[Node, Node, bool]]) -> str:
    """An SVG drawing of the graph, with a <title> on every node for its kind and id."""
    rank = _ranks(nodes, links)
    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(rank[node], []).append(node)
    inputs: dict[Node, list[Node]] = {}
    for a, b, _neg in links:
        inputs.setdefault(b, []).append(a)
    position: dict[Node, float] = {}
    for r in sorted(columns):
        column = columns[r]
        if r:
            def centre(n: Node) -> float:
                seen = [position[i] for i in inputs.get(n, []) if i in position]
                return sum(seen) / len(seen) if seen else float("inf")
            column.sort(key=centre)
        for i, node in enumerate(column):
            position[node] = float(i)
    widths = {r: max(len(f"{n[0]}: {n[1]}") for n in column) * CHAR + 20 for r, column in columns.items()}
    x_of: dict[int, float] = {}
    x = float(MARGIN)
    for r in sorted(columns):
        x_of[r] = x
        x += widths[r] + GAP_X
    height = max(len(c) for c in columns.values()) * (ROW + GAP_Y) + 2 * MARGIN if columns else 2 * MARGIN
    box = {n: (x_of[rank[n]], MARGIN + position[n] * (ROW + GAP_Y), widths[rank[n]]) for n in nodes}
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{x:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {x:.0f} {height:.0f}" role="img" aria-labelledby="graph-title" '
           'font-family="system-ui, sans-serif" font-size="12">'),
           ('<title id="graph-title">The rule graph: questions, facts and verdicts read by rules, and what the rules '
           'conclude</title>'),
           ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#8a94a3"/></marker></defs>')]
    for a, b, negated in links:
        if a not in box or b not in box:
            continue
        ax, ay, aw = box[a]
        bx, by, _bw = box[b]
        x1, y1, x2, y2 = ax + aw, ay + ROW / 2, bx, by + ROW / 2
        bend = max(40.0, abs(x2 - x1) / 2)
        dash = ' stroke-dasharray="5 4"' if negated else ""
        out.append(f'<path d="M {x1:.1f} {y1:.1f} C {x1 + bend:.1f} {y1:.1f}, {x2 - bend:.1f} {y2:.1f}, '
                   f'{x2:.1f} {y2:.1f}" fill="none" stroke="#8a94a3" stroke-width="1.2"{dash} '
                   'marker-end="url(#arrow)"><title>' + escape(f"{a[1]} {'(not) ' if negated else ''}→ {b[1]}")
                   + "</title></path>")
    for node in nodes:
        nx, ny, nw = box[node]
        fill, stroke = COLOURS.get(node[0], ("#ffffff", "#1d2330"))
        label = escape(f"{node[0]}: {node[1]}")
        out.append(f'<g class="node node-{node[0]}"><title>{label}</title>'
                   f'<rect x="{nx:.1f}" y="{ny:.1f}" width="{nw:.1f}" height="{ROW}" rx="6" fill="{fill}" '
                   f'stroke="{stroke}"/><text x="{nx + 10:.1f}" y="{ny + ROW / 2 + 4:.1f}" fill="{stroke}">'
                   f"{label}</text></g>")
    out.append("</svg>")
    return "\n".join(out)
