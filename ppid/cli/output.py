"""How the CLI prints data: indented JSON documents, one JSON object per line, plain rows."""

from __future__ import annotations

import json
from typing import Any

import typer


def echo_json(data: Any) -> None:
    """`data` as one indented JSON document (Indonesian text kept readable, not escaped)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def echo_json_line(data: Any) -> None:
    """`data` as one JSON object on one line (`--json` of commands that stream results)."""
    typer.echo(json.dumps(data, ensure_ascii=False))
