"""The catalogue's shape: one message in two languages, and how a text takes its values.

Placeholders are `str.format` fields; a list or tuple value is joined with commas, so a Python
list never reaches a page, and a value not given shows as "-" rather than failing.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ADMIN = "hubungi administrator sistem"  # what a person is told to do about a fault


@dataclass(frozen=True)
class Text:
    """One message: Indonesian for users, English for operators, the form field it is about."""

    id: str
    en: str
    field: str | None = None  # the input an error belongs beside (inline on the form)


class _Lenient(string.Formatter):
    """str.format that joins lists and shows a missing field as "-" rather than failing."""

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        value = kwargs.get(key, "-") if isinstance(key, str) else args[key]
        return ", ".join(str(v) for v in value) if isinstance(value, list | tuple | set) else value


_FORMAT = _Lenient()


def fill(template: str, params: Mapping[str, Any]) -> str:
    """`template` with its values."""
    return _FORMAT.vformat(template, (), dict(params))


def text_of(table: Mapping[str, str], code: str, **params: Any) -> str:
    """Text `code` of `table` with its values (`notice`, `history_note`, ... are this over one
    table)."""
    return fill(table[code], params)


def placeholders(template: str) -> set[str]:
    """The named fields a template uses (tests check raise sites against them)."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
