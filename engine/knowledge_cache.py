"""A content-addressed cache of loaded, checked knowledge, in plain JSON: loading it again skips parsing and checking.

The key is a digest of the knowledge files' bytes, the layers named, and the modules that read and check them
(their sizes and modification times), so an edit to either is a new entry. An entry holds every field of every
item, positions included, and is rebuilt field by field into the same dataclasses; only knowledge that loaded
without problems is stored. The cache is an optimisation and nothing more: an entry that cannot be read, parsed
or rebuilt is a miss, and a cache that cannot be written is left alone. `OFFERCOACH_CACHE` names its folder
(`off` turns it off); the default is `$XDG_CACHE_HOME/offercoach`, else `~/.cache/offercoach`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from . import knowledge
from .files import TEMPORARY, Unreadable, read_bounded, write_atomic
from .knowledge import KnowledgeBase

FORMAT = 1  # the shape of an entry; raise it when the encoding below changes
MAX_ENTRY_BYTES = 64 * 1024 * 1024
KEEP = 64  # entries kept; the oldest beyond these go when a new one is written
STALE_SECONDS = 600  # a temporary file older than this is a killed write's, removed when an entry is written
ENGINE = Path(__file__).resolve().parent
CLASSES = {name: cls for name, cls in vars(knowledge).items()
           if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == knowledge.__name__}
FIELDS = {cls: {f.name for f in dataclasses.fields(cls)} for cls in CLASSES.values()}


def folder() -> Path | None:
    """Where entries are kept, or None when the cache is off."""
    named = os.environ.get("OFFERCOACH_CACHE")
    if named is not None:
        return None if named.strip().lower() in ("", "off", "0", "no") else Path(named)
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec says to ignore a relative path
        base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # no home to be found: no cache, rather than one in the working directory
        return None
    return Path(base) / "offercoach"


@functools.cache
def _code() -> str:
    """The running loader and checker, as the sizes and times of the engine's modules when first asked."""
    # A changed loader or checker may read the same files otherwise. Once per process: it is the code that
    # was imported that reads the knowledge, whatever becomes of the files after.
    stats = [(module.name, module.stat()) for module in sorted(ENGINE.glob("*.py"))]
    return "".join(f"{name}:{stat.st_size}:{stat.st_mtime_ns};" for name, stat in stats)


def key(layers: list[str], files: list[tuple[str, str]]) -> str:
    """The entry's name for these layers and files (each named, with the SHA-256 of its bytes), for this loader."""
    return hashlib.sha256(json.dumps([FORMAT, _code(), layers, files]).encode()).hexdigest()


class _Unknown(Exception):
    """A value of a kind the encoding does not know: such knowledge is not cached."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"frozenset": sorted(_encode(v) for v in value)}
    if isinstance(value, dict):
        return {"dict": [[_encode(k), _encode(v)] for k, v in value.items()]}
    name = type(value).__name__
    if CLASSES.get(name) is type(value):
        return {"item": name, "fields": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise _Unknown(name)


def _decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return [_decode(v) for v in value] if isinstance(value, list) else value
    if "tuple" in value:
        return tuple(_decode(v) for v in value["tuple"])
    if "frozenset" in value:
        return frozenset(_decode(v) for v in value["frozenset"])
    if "dict" in value:
        return {_decode(k): _decode(v) for k, v in value["dict"]}
    cls = CLASSES[value["item"]]
    stored = value["fields"]
    if FIELDS[cls] != stored.keys():
        raise KeyError(value["item"])
    item = cls.__new__(cls)  # every field is in the entry: set them as they were, past __init__ and frozenness
    item.__dict__.update({name: _decode(field_value) for name, field_value in stored.items()})
    return item


def encode(kb: KnowledgeBase) -> str | None:
    """The entry for `kb`, or None if it holds a value the encoding does not know."""
    try:
        return json.dumps({"format": FORMAT, "knowledge": _encode(kb)}, separators=(",", ":"))
    except _Unknown:
        return None


def decode(text: str | bytes) -> KnowledgeBase:
    """The knowledge base an entry holds; ValueError, KeyError or TypeError if it is not a sound entry."""
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError("not an entry of this format")
    kb = _decode(document["knowledge"])
    if not isinstance(kb, KnowledgeBase):
        raise TypeError("not knowledge")
    return kb


def fetch(name: str) -> KnowledgeBase | None:
    """The knowledge stored under `name`, or None on any miss."""
    where = folder()
    if where is None:
        return None
    try:
        return decode(read_bounded(where / f"{name}.json", MAX_ENTRY_BYTES))
    except (Unreadable, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None


def store(name: str, kb: KnowledgeBase) -> None:
    """Keep `kb` under `name` if the folder can be written, and drop the oldest entries beyond KEEP."""
    where = folder()
    text = encode(kb)
    if where is None or text is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        write_atomic(str(where / f"{name}.json"), text)
        entries = sorted(where.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        stale = time.time() - STALE_SECONDS
        # A write that was killed leaves its temporary file; one this old is no other process's write in progress.
        leftovers = [p for p in where.glob(".*.tmp") if TEMPORARY.fullmatch(p.name) and p.stat().st_mtime < stale]
        for old in entries[:-KEEP] + leftovers:
            old.unlink(missing_ok=True)
    except OSError:
        pass
