"""The imports inside offercoach form a straight line: each module imports only modules listed before it in ORDER."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# From reading YAML to the command line. A module may import any module above it, never one below it;
# docs/design.md lists the same modules in the same order, each with its one job.
ORDER = [
    "engine",  # engine/__init__.py
    "engine.records",
    "engine.errors",
    "engine.formats",
    "engine.knowledge",
    "engine.knowledge_schema",
    "engine.starter",
    "engine.text",
    "engine.files",
    "engine.yaml_source",
    "engine.check",
    "engine.knowledge_cache",
    "engine.load",
    "engine.answers",
    "engine.experta_compat",
    "engine.experta_network",
    "engine.experta_speed",
    "engine.experta_fixes",
    "engine.trace",
    "engine.compile",
    "engine.explain",
    "engine.explanations",
    "engine.dialogue",
    "engine.results",
    "engine.transcript",
    "engine.consult",
    "engine.paths",
    "engine.scenarios",
    "engine.inspection",
    "engine.graph",
    # The web front end (offercoach serve) sits between the engine and the command line that starts it.
    "web",
    "web.engine_bridge",
    "web.graphview",
    "web.app",
    "web.workbench",
    "web.serve",
    "cli",
]


def module_name(path: Path) -> str:
    """'engine.consult' for engine/consult.py, 'engine' for engine/__init__.py, 'cli' for cli.py."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> list[Path]:
    return sorted(ROOT.glob("engine/*.py")) + sorted(ROOT.glob("web/*.py")) + [ROOT / "cli.py"]


# The one import against the order, made inside a function: the workbench's routes are built only for
# 'serve --edit', and the workbench reuses the consultation pages of web.app.
LATE = {("web.app", "web.workbench")}


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported(path: Path) -> list[tuple[int, str, bool]]:
    """Each offercoach module `path` imports: its line, its name, and whether the import is at the top level.

    Every import counts, including those under `if TYPE_CHECKING:` and inside functions.
    """
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    # An 'if TYPE_CHECKING:' block is the top level too.
    top |= {id(inner) for node in tree.body if isinstance(node, ast.If) for inner in node.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
            elif (node.module or "").split(".")[0] == "offercoach":
                base = []
            else:
                continue
            module = [*base, *[p for p in (node.module or "").split(".") if p and p != "offercoach"]]
            for alias in node.names:
                name = ".".join([*module, alias.name])
                found.append((node.lineno, name if is_module(name) else ".".join(module), id(node) in top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "offercoach":
                    found.append((node.lineno, alias.name.partition(".")[2], id(node) in top))
    return found


def test_every_module_has_its_place_in_the_order():
    names = [module_name(p) for p in modules()]
    assert sorted(set(ORDER)) == sorted(ORDER), "a module is listed twice"
    assert sorted(names) == sorted(ORDER), "add each new module to ORDER, and drop the ones removed"


@pytest.mark.parametrize("path", modules(), ids=module_name)
def test_a_module_imports_only_modules_before_it(path):
    me = ORDER.index(module_name(path))
    later = [f"{path.relative_to(ROOT)}:{line} imports {name}" for line, name, top in imported(path)
             if name not in ORDER[:me] and (top or (module_name(path), name) not in LATE)]
    assert later == [], "each module imports only those above it in ORDER (a module not in ORDER counts as later)"


@pytest.mark.parametrize("path", sorted(ROOT.glob("engine/*.py")), ids=module_name)
def test_the_engine_imports_itself_only_at_the_top_of_a_module(path):
    # A function-level import hides a cycle instead of removing it. cli.py may import inside its
    # commands, which keeps 'offercoach --help' from loading the engine.
    inside = [f"{path.relative_to(ROOT)}:{line} imports {name}" for line, name, top in imported(path) if not top]
    assert inside == []


def test_the_checks_see_every_kind_of_import():
    # Guards the test itself: a parser that missed imports would pass the checks above vacuously.
    found = {(name, top) for _, name, top in imported(ROOT / "engine" / "consult.py")}
    assert {("engine.compile", True), ("engine.explain", True)} <= found  # 'from .x import y', 'from . import x'
    assert ("engine.experta_fixes", True) in {(n, t) for _, n, t in imported(ROOT / "engine" / "trace.py")}
    assert ("engine.graph", False) in {(n, t) for _, n, t in imported(ROOT / "cli.py")}  # 'from .engine import'
