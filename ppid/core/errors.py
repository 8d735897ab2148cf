"""Errors the user can act on, each with its exit code and its catalogue code; mapped to output
in one place per edge (the CLI prints the English operator text, the web the Indonesian one)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from ppid.core.messages import error_field, operator_text, user_text


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    BAD_ARGS = 2
    NOT_FOUND = 3
    BAD_INPUT = 4
    CONFIG = 5
    CONFLICT = 6
    ALREADY_RUNNING = 7
    FORBIDDEN = 8


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
