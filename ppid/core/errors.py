"""Errors the user can act on, each with its exit code and its catalogue code; mapped to output
in one place per edge (the CLI prints the English operator text, the web the Indonesian one)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from ppid.core.messages import error_field, operator_text, user_text


class ExitCode(IntEnum):
    """How the `ppid` command ends, each code with what it means (`ppid --help` lists them)."""

    meaning: str

    def __new__(cls, code: int, meaning: str) -> ExitCode:
        member = int.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member

    OK = 0, "done"
    FAILED = 1, "failed; the message says why"
    BAD_ARGS = 2, "unknown command or option, or a missing argument"
    NOT_FOUND = 3, "no such case, file, submission or user"
    BAD_INPUT = 4, "a value or a file that cannot be used"
    CONFIG = 5, "the settings or the installation need fixing"
    CONFLICT = 6, "the step or change does not fit the case as it is now"
    ALREADY_RUNNING = 7, "ppid run is already running for this home"
    FORBIDDEN = 8, "the role given may not do this"
    UNAVAILABLE = 9, "a service it needs (Prefect, database) does not answer or is not ready"
    INTERRUPTED = 130, "stopped with Ctrl-C"


class PpidError(Exception):
    """Base of every error meant for a person: what happened and what to do, by catalogue code.

    `code` names an entry of `ppid.core.messages.ERRORS`; `params` fill its placeholders. `text`
    is what a user reads (Bahasa Indonesia), `message` what an operator reads (English), `field`
    the form input the error belongs beside.
    """

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, code: str, /, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = operator_text(code, params)
        super().__init__(self.message)

    @property
    def text(self) -> str:
        return user_text(self.code, self.params)

    @property
    def field(self) -> str | None:
        return error_field(self.code)

    def __reduce__(self) -> tuple[Any, ...]:  # crosses process boundaries (flow runs) intact
        return (_rebuild, (type(self), self.code, self.params))


def _rebuild(kind: type[PpidError], code: str, params: dict[str, Any]) -> PpidError:
    return kind(code, **params)


class NotFoundError(PpidError):
    exit_code = ExitCode.NOT_FOUND


class BadInputError(PpidError):
    exit_code = ExitCode.BAD_INPUT


class ConfigError(PpidError):
    exit_code = ExitCode.CONFIG


class ConflictError(PpidError):
    exit_code = ExitCode.CONFLICT


class AlreadyRunningError(PpidError):
    exit_code = ExitCode.ALREADY_RUNNING


class ForbiddenError(PpidError):
    exit_code = ExitCode.FORBIDDEN


class UnavailableError(PpidError):
    """A service on another machine is down or not set up yet: trying later may be enough."""

    exit_code = ExitCode.UNAVAILABLE
