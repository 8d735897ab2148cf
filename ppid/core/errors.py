"""Errors the user can act on, each with its exit code; mapped to output in one place per edge."""

from __future__ import annotations

from enum import IntEnum


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
    """Base of every error meant for a person: the message says what happened and what to do."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
