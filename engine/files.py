"""The files people give offercoach: read only if regular and within a byte bound, JSON within depth and digit
bounds, written atomically (through a symbolic link, keeping the file's mode), held by one writer at a time."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from .text import printable

MAX_JSON_DEPTH = 64  # lists and objects within one another; a transcript needs 5
MAX_INTEGER_DIGITS = 100  # in JSON and YAML alike; Python refuses to read more than 4,300
TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")  # what write_atomic writes before its rename


class Unreadable(Exception):
    """A file that cannot be read, with the reason in plain words; `missing` when there is no such file."""

    def __init__(self, reason: str, missing: bool = False, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.missing, self.too_large = reason, missing, too_large


class NotJson(Exception):
    """Text that is not JSON offercoach reads: `reason` in plain words; `at` its line and column, if known."""

    def __init__(self, reason: str, at: tuple[int, int] | None = None, at_end: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.at, self.at_end = reason, at, at_end


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words: 'a directory, not a file', ..."""
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"


def os_reason(exc: OSError) -> str:
    """An OSError in words: a looping symbolic link said as such, else the system's words."""
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link that loops"
    return exc.strerror or str(exc)


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, at most `limit`; raise Unreadable saying why not.

    A named pipe, a device or a directory is refused before it is read (never waited on, never read whole),
    and no more than `limit` + 1 bytes are ever read, even from a file that grows meanwhile.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):  # never opens a device or a pipe
            raise Unreadable(f"it is {kind_of(mode)}")
        # O_NONBLOCK: should the file have become a named pipe since, opening it does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Unreadable("no such file", missing=True) from None
    except OSError as exc:
        raise Unreadable(os_reason(exc)) from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise Unreadable(f"it is {kind_of(status.st_mode)}")
        if status.st_size > limit:
            raise Unreadable(f"it is larger than {limit} bytes", too_large=True)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Unreadable(f"it is larger than {limit} bytes", too_large=True)
        return b"".join(chunks)
    except OSError as exc:
        raise Unreadable(os_reason(exc)) from None
    finally:
        os.close(fd)


class _Refused(Exception):
    """Raised by the decoder's hooks; parse_json turns it into NotJson."""


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"a number longer than {MAX_INTEGER_DIGITS} digits; write a shorter one")
    return int(text)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _Refused(f"the key '{printable(key)[:40]}' appears twice; keep one")
        mapping[key] = value
    return mapping


def _too_deep(value: Any) -> bool:
    """Whether lists and objects nest in `value` more than MAX_JSON_DEPTH deep (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                return True
            stack.extend((inner, depth + 1) for inner in (item.values() if isinstance(item, dict) else item))
    return False


def parse_json(data: bytes) -> Any:
    """The JSON document in UTF-8 `data` (a byte order mark is allowed); raise NotJson saying what is wrong.

    Refused: NUL bytes, keys that appear twice in one object, integers over MAX_INTEGER_DIGITS digits, and lists
    and objects nested more than MAX_JSON_DEPTH deep.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise NotJson("it is not UTF-8 text", (line, exc.start - data.rfind(b"\n", 0, exc.start))) from None
    if "\x00" in text:
        raise NotJson("it contains NUL bytes, so it is not JSON text")
    try:
        document = json.loads(text, parse_int=_integer, object_pairs_hook=_unique)
    except _Refused as exc:
        raise NotJson(str(exc)) from None
    except RecursionError:
        raise NotJson(f"nested more than {MAX_JSON_DEPTH} levels deep") from None
    except json.JSONDecodeError as exc:
        raise NotJson(exc.msg, (exc.lineno, exc.colno), at_end=not text[exc.pos:].strip()) from None
    if _too_deep(document):
        raise NotJson(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return document


def write_atomic(path: str, text: str) -> None:
    """Write `text` to `path` so that a reader sees the old file or the new one, never half of one.

    A symbolic link is written through, to the file it names; that file keeps its mode, and a new one gets
    the usual mode for new files (0666 less the umask), as the shell's '>' would give it.
    """
    target = Path(os.path.realpath(path))
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    temp = target.parent / f".{target.name}.{os.urandom(4).hex()}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


class Busy(Exception):
    """Another process holds the lock; `holder` is its process id, if it said."""

    def __init__(self, holder: int | None) -> None:
        super().__init__(f"held by process {holder}")
        self.holder = holder


class Held:
    """The file `path` names (through symbolic links), held by this process alone until `release()`.

    The lock is an flock(2) on '.NAME.lock' beside the file, which the kernel releases if the process dies, so a
    killed consultation never leaves the file held. Raise Busy if another process holds it, and OSError if the
    lock cannot be made (a missing or read-only folder, a name too long). `target` is the file's real path.
    """

    def __init__(self, path: str) -> None:
        self.target = Path(os.path.realpath(path))
        self.lock = self.target.parent / f".{self.target.name}.lock"
        while True:
            fd = os.open(self.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
                os.close(fd)
                raise Busy(int(holder) if holder.isascii() and holder.isdigit() else None) from None
            # The holder before us removes the lock file as it finishes: hold the one that is there now.
            try:
                here, mine = os.stat(self.lock), os.fstat(fd)
                if (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino):
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        self.fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        """Let the file go: the lock file is removed while still held, then closed."""
        with contextlib.suppress(OSError):
            self.lock.unlink()
        os.close(self.fd)


def remove_leftovers(target: Path) -> list[Path]:
    """Remove the temporary files a killed write_atomic left beside `target` (call it holding `target`)."""
    removed = []
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            found = TEMPORARY.fullmatch(entry.name)
            if found and found["name"] == target.name and entry.is_file():
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
    return removed
