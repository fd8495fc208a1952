"""The errors engine/ raises; cli.py maps them to exit codes."""

from __future__ import annotations

from .records import record


@record(frozen=True, order=True)
class Problem:
    """One located problem in a file a person wrote."""

    path: str
    line: int
    col: int
    message: str
    severity: str = "error"  # or "warning": reported by 'rules validate', never blocks a consultation

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"
        return f"{self.path}: {self.severity}: {self.message}"

    def as_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "col": self.col, "severity": self.severity,
                "message": self.message}


class OffercoachError(Exception):
    """Base of every error offercoach reports to a person."""


class KnowledgeError(OffercoachError):
    """The knowledge base cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class InferenceError(OffercoachError):
    """The rules misbehaved while running: an action failed, or inference did not settle."""


class NoVerdictError(InferenceError):
    """The rules propose no verdict for the answers given: the knowledge does not cover them."""


class AnswerError(OffercoachError):
    """An answer names an unknown question or a value outside its allowed set."""


class UsageError(OffercoachError):
    """A file or option given on the command line cannot be used."""


class ConsultationStopped(OffercoachError):
    """The person stopped the consultation before it finished."""
