"""`rules new`: a minimal, commented, valid knowledge base for a coach to start from."""

from __future__ import annotations

import shutil
from pathlib import Path

from .errors import UsageError

STARTER = Path(__file__).resolve().parent.parent / "starter"  # shipped with the package


def new_knowledge(directory: str) -> list[Path]:
    """Write the starter knowledge base into `directory` (new or empty); the files written, in order."""
    target = Path(directory)
    try:
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise UsageError(f"{directory}: already exists and is not an empty directory; "
                             "choose a new folder for the knowledge base")
        written = []
        for source in sorted(STARTER.rglob("*.yaml")):
            destination = target / source.relative_to(STARTER)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
            written.append(destination)
    except OSError as exc:
        raise UsageError(f"{directory}: cannot write the knowledge base: {exc.strerror or exc}") from None
    return written


def made(directory: str, written: list[Path]) -> str:
    """What 'rules new' tells the coach: the files, and the next commands to run."""
    files = "".join(f"  {path}\n" for path in written)
    return (f"A new knowledge base in {directory}:\n{files}"
            f"Next: edit it, then run\n"
            f"  offercoach rules validate -k {directory}\n"
            f"  offercoach rules test -k {directory}\n"
            f"  offercoach rules paths -k {directory}\n"
            f"  offercoach consult -k {directory}\n")
