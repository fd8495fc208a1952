"""Dataclasses whose __repr__ is written once for all of them, not compiled anew for every class at import."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform, overload

__all__ = ["record"]

T = TypeVar("T")


def _repr(self: Any) -> str:
    # What dataclasses writes: the class's qualified name and each field shown in its repr.
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, frozen: bool = False, order: bool = False, kw_only: bool = False) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field,))
def record(cls: type[T] | None = None, /, **options: Any) -> Any:
    """`dataclasses.dataclass`, with the shared __repr__: each generated method costs an exec at import, and a
    few dozen classes made every process start a few milliseconds later."""
    def make(target: type[T]) -> type[T]:
        made = dataclasses.dataclass(target, repr=False, **options)
        if "__repr__" not in target.__dict__:
            made.__repr__ = _repr  # type: ignore[method-assign]
        return made
    return make if cls is None else make(cls)
