"""Reading YAML safely into plain data that remembers where every key and value was written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .errors import KnowledgeError, Problem
from .files import MAX_INTEGER_DIGITS, Unreadable, read_bounded

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000  # bounds alias expansion ("billion laughs") as well as plain size


class LocatedDict(dict[str, Any]):
    """A mapping that knows where it, each key and each value stand in its file."""

    path: str
    line: int
    col: int
    key_at: dict[str, tuple[int, int]]
    value_at: dict[str, tuple[int, int]]


class LocatedList(list[Any]):
    """A sequence that knows where it and each item stand in its file."""

    path: str
    line: int
    col: int
    item_at: list[tuple[int, int]]


class _PlainResolver(yaml.resolver.Resolver):
    """YAML 1.1 scalars as a person means them: yes/no/on/off and dates stay text."""


_PlainResolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_PlainResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _Composer(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
                yaml.composer.Composer, yaml.constructor.SafeConstructor, _PlainResolver):
    """Builds YAML nodes only; nothing in the document is ever constructed as an object."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _PlainResolver.__init__(self)


_SCALARS: dict[str, Callable[[yaml.constructor.SafeConstructor, yaml.ScalarNode], Any]] = {
    "tag:yaml.org,2002:str": lambda c, n: n.value,
    "tag:yaml.org,2002:null": lambda c, n: None,
    "tag:yaml.org,2002:bool": lambda c, n: n.value.lower() == "true",
    "tag:yaml.org,2002:int": lambda c, n: c.construct_yaml_int(n),
    "tag:yaml.org,2002:float": lambda c, n: c.construct_yaml_float(n),
}


class _Builder:
    def __init__(self, path: str, composer: _Composer) -> None:
        self.path = path
        self.composer = composer
        self.nodes = 0
        self.seen: set[int] = set()  # the nodes built so far: one met again is an alias
        self.aliased = False

    def problem(self, node: yaml.Node, message: str) -> KnowledgeError:
        m = node.start_mark
        return KnowledgeError([Problem(self.path, m.line + 1, m.column + 1, message)])

    def build(self, node: yaml.Node) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.aliased:
                raise self.problem(node, f"the document expands to more than {MAX_NODES} values "
                                         "(aliases repeated too often?); split or simplify it")
            raise self.problem(node, f"the document holds more than {MAX_NODES} values; split it into smaller files")
        if id(node) in self.seen:
            self.aliased = True
        self.seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            make = _SCALARS.get(node.tag)
            if make is None:
                raise self.problem(node, f"the tag {node.tag} is not allowed; write plain values")
            if node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_INTEGER_DIGITS:
                raise self.problem(node, f"a number longer than {MAX_INTEGER_DIGITS} digits; write a shorter one")
            return make(self.composer, node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self.problem(node, f"the tag {node.tag} is not allowed; write a plain list")
            items = LocatedList(self.build(item) for item in node.value)
            items.item_at = [(i.start_mark.line + 1, i.start_mark.column + 1) for i in node.value]
            return self.locate(items, node)
        if node.tag != "tag:yaml.org,2002:map":
            raise self.problem(node, f"the tag {node.tag} is not allowed; write a plain mapping")
        mapping = LocatedDict()
        mapping.key_at, mapping.value_at = {}, {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise self.problem(key_node, "keys must be plain words (no lists, mappings or '<<' merges)")
            key = str(self.build(key_node))
            if key in mapping:
                raise self.problem(key_node, f"the key '{key}' appears twice in this mapping; keep one")
            mapping[key] = self.build(value_node)
            mapping.key_at[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            mapping.value_at[key] = (value_node.start_mark.line + 1, value_node.start_mark.column + 1)
        return self.locate(mapping, node)

    def locate(self, value: Any, node: yaml.Node) -> Any:
        value.path = self.path
        value.line, value.col = node.start_mark.line + 1, node.start_mark.column + 1
        return value


if yaml.__with_libyaml__:
    from yaml._yaml import CParser  # what yaml.cyaml builds its loaders on

    class _FastComposer(CParser, yaml.constructor.SafeConstructor, _PlainResolver):
        """The same node builder as _Composer, with libyaml doing the scanning and parsing."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _PlainResolver.__init__(self)

    COMPOSER: type = _FastComposer
else:  # PyYAML built without libyaml
    COMPOSER = _Composer


_KEY_LINE = re.compile(r"^\s*(?:-\s+)*[^\s:#'\"{\[][^:#]*:(?:\s|$)")  # a line that starts with 'key:'
_QUOTE_IT = "': ' inside a value starts a key; put the whole value in quotes, e.g. title: \"Note: this\""


def _indentation(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str] | None:
    """A plain message for a YAML error that a wrongly indented line causes, at that line, saying how to fix it:
    (line, column, message), or None for any other error. Both libyaml's and PyYAML's wordings are read."""
    lines = text.split("\n")
    problem, context = exc.problem or "", exc.context or ""
    mark, start = exc.problem_mark, exc.context_mark
    if mark is None or mark.line >= len(lines):
        return None

    def indent(n: int) -> int:  # the column where line n (0-based) starts
        return len(lines[n]) - len(lines[n].lstrip(" ")) + 1

    def key_column(n: int) -> int:  # the column of line n's first key, after any '- '
        return len(lines[n]) - len(re.sub(r"^\s*(?:-\s+)*", "", lines[n])) + 1

    def above(n: int) -> int | None:  # the nearest line before n (0-based) with something on it
        return next((k for k in range(n - 1, -1, -1) if lines[k].strip() and not lines[k].lstrip().startswith("#")),
                    None)

    n, col = mark.line, mark.column + 1
    prev = above(n)
    if "simple key" in context and "expected ':'" in problem and start is not None:
        n = start.line  # the line taken for a key, not the one where the parser gave up
        prev = above(n)
        if prev is None or start.column + 1 != indent(n):
            return None
        if _KEY_LINE.match(lines[prev]):
            fix = f"indent it further than the key on line {prev + 1} (column {key_column(prev)})"
        else:
            fix = f"indent it as far as the text on line {prev + 1} (column {indent(prev)})"
        return (n + 1, indent(n), f"this line has no ':', so it is not a key; if it continues the text above, {fix}")
    if problem.startswith("mapping values are not allowed"):
        before = lines[n][indent(n) - 1:mark.column]
        if prev is None or not re.fullmatch(r"[\w-]+", before) or indent(n) <= key_column(prev):
            return (n + 1, col, _QUOTE_IT)
        return (n + 1, indent(n), (f"this line is indented further than the key on line {prev + 1} (column "
                                   f"{key_column(prev)}), so it is read as more of that key's value; start it at "
                                   f"column {key_column(prev)} to make it a key beside that one"))
    if col != indent(n) or start is None:
        return None
    if "block collection" in context and ("expected '-'" in problem or "expected <block end>" in problem):
        dash, keys = start.column + 1, key_column(start.line)
        return (n + 1, col, (f"this line is indented to column {col}, which lines up neither with the '-' of the "
                             f"list that starts at line {start.line + 1} (column {dash}) nor with the keys of its "
                             f"items (column {keys}); start it at column {keys} to add to the item above, or at "
                             f"column {dash} with '- ' for a new item"))
    if "block mapping" in context and ("expected key" in problem or "expected <block end>" in problem):
        keys = start.column + 1
        fixes = [f"to column {keys} for a key of the mapping that starts at line {start.line + 1}"]
        if prev is not None and indent(prev) not in (keys, col):
            what = "add to the list above" if lines[n].lstrip().startswith("-") else "go on with the line above"
            fixes.insert(0, f"to column {indent(prev)} to {what}")
        return (n + 1, col, (f"this line is indented to column {col}, which lines up with nothing above it; "
                             f"indent it {' or '.join(fixes)}"))
    return None


def parse_yaml(text: str, path: str) -> Any:
    """Parse one YAML document from `text`; raise KnowledgeError with the position on any problem."""
    composer = COMPOSER(text)
    try:
        node = composer.get_single_node()
        if node is None:
            return None
        return _Builder(path, composer).build(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        reason = exc.problem or exc.context or "not valid YAML"
        if mark and text[mark.index:mark.index + 1] == "\t":
            raise KnowledgeError([Problem(path, line, col, "not valid YAML: a tab character; YAML indents "
                                                           "with spaces only")]) from None
        plain = _indentation(exc, text)
        if plain is not None:
            raise KnowledgeError([Problem(path, plain[0], plain[1], f"not valid YAML: {plain[2]}")]) from None
        if exc.context and exc.problem and exc.context_mark:
            start = exc.context_mark
            reason += f" {exc.context} that starts at line {start.line + 1}, column {start.column + 1}"
        raise KnowledgeError([Problem(path, line, col, f"not valid YAML: {reason}")]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        raise KnowledgeError([Problem(path, line, col, f"not valid YAML: the character #x{code:04x} "
                                                       "is not allowed in a YAML file")]) from None
    except yaml.YAMLError as exc:
        raise KnowledgeError([Problem(path, 0, 0, f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise KnowledgeError([Problem(path, 0, 0, "the document is nested too deeply")]) from None
    finally:
        composer.dispose()


def read_file_bytes(path: Path, name: str) -> bytes:
    """The bytes of the regular file at `path`, refusing files over MAX_FILE_BYTES (files.read_bounded)."""
    try:
        return read_bounded(path, MAX_FILE_BYTES)
    except Unreadable as exc:
        if exc.too_large:
            raise KnowledgeError([Problem(name, 0, 0, f"the file is larger than {MAX_FILE_BYTES} bytes")]) from None
        raise KnowledgeError([Problem(name, 0, 0, f"cannot read the file: {exc.reason}")]) from None


def parse_yaml_bytes(data: bytes, name: str) -> Any:
    """Parse UTF-8 YAML `data`, naming it `name` in problems."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        col = exc.start - data.rfind(b"\n", 0, exc.start)
        raise KnowledgeError([Problem(name, line, col,
                                      "the file is not UTF-8 text (save it as UTF-8)")]) from None
    return parse_yaml(text, name)


def read_yaml(path: Path) -> Any:
    """Read and parse the YAML file at `path`."""
    return parse_yaml_bytes(read_file_bytes(path, str(path)), str(path))
