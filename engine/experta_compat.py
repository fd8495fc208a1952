"""The one place offercoach imports experta: made to import on Python 3.11+, leaving the host's logging alone.

Every other module takes experta's names from here. The correctness fixes are in experta_fixes.py, the
speed-ups in experta_speed.py.
"""

from __future__ import annotations

import collections
import collections.abc
import logging

# experta pins frozendict 1.2, which still reads collections.Mapping (gone since 3.10).
if not hasattr(collections, "Mapping"):
    collections.Mapping = collections.abc.Mapping  # type: ignore[attr-defined]

# Importing experta calls logging.basicConfig(); keep the root logger as the host left it.
_root_handlers = list(logging.getLogger().handlers)
from experta import AND, AS, EXISTS, NOT, OR, Fact, KnowledgeEngine, P, Rule, W
from experta.activation import Activation
from experta.agenda import Agenda
from experta.fact import InitialFact
from experta.factlist import FactList
from experta.fieldconstraint import ANDFC, NOTFC, ORFC, L
from experta.matchers.rete import ReteMatcher
from experta.matchers.rete.check import FactCapture, FeatureCheck, SameContextCheck, TypeCheck
from experta.matchers.rete.mixins import ChildNode
from experta.matchers.rete.nodes import BusNode, ConflictSetNode, FeatureTesterNode, NotNode, OrdinaryMatchNode
from experta.matchers.rete.token import Token
from experta.strategies import DepthStrategy

logging.getLogger().handlers[:] = _root_handlers
# The watcher loggers are process-global and would write to the host's handlers (or, with none,
# to stderr through logging's last resort): give them a sink of their own instead.
for _name in ("RULES", "FACTS", "ACTIVATIONS", "AGENDA", "ENGINE"):
    _watcher = logging.getLogger(f"experta.watchers.{_name}")
    _watcher.propagate = False
    _watcher.addHandler(logging.NullHandler())

__all__ = [
    "AND",
    "ANDFC",
    "AS",
    "EXISTS",
    "NOT",
    "NOTFC",
    "OR",
    "ORFC",
    "Activation",
    "Agenda",
    "BusNode",
    "ChildNode",
    "ConflictSetNode",
    "DepthStrategy",
    "Fact",
    "FactCapture",
    "FactList",
    "FeatureCheck",
    "FeatureTesterNode",
    "InitialFact",
    "KnowledgeEngine",
    "L",
    "NotNode",
    "OrdinaryMatchNode",
    "P",
    "ReteMatcher",
    "Rule",
    "SameContextCheck",
    "Token",
    "TypeCheck",
    "W",
]
