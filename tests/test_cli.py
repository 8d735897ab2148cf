"""The `ppid` command as a person uses it: help everywhere, one-line errors, secrets hidden."""

from __future__ import annotations

import json

import pytest
from typer.main import get_command

from ppid.cli.app import app
from tests.specimens import run_cli


def _all_command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(get_command(app), [])
    return paths


@pytest.mark.parametrize("path", _all_command_paths(), ids=" ".join)
def test_every_command_has_help(capsys, path: list[str]) -> None:
    code, out, _ = run_cli(capsys, *path, "--help")
    assert code == 0
    assert "Usage" in out
    command = get_command(app)
    for name in path:
        command = command.commands[name]
    assert command.help, f"ppid {' '.join(path)} has no help text"


# Every command with its arguments and options, as scripts call them: a command or a flag that
# disappears or is renamed breaks someone's script, so it is a decision, made here.
COMMANDS = {
    "archive dossier": (["number", "out"], []),
    "archive export": (["out"], []),
    "archive import": (["tar"], []),
    "archive retention": ([], ["--by", "--json", "--yes"]),
    "archive update": (["number"], []),
    "archive verify": ([], ["--json", "--year"]),
    "case advance": (
        ["number"],
        ["--actor", "--as", "--decision", "--item", "--json", "--note", "--pasal17", "--set"],
    ),
    "case show": (["number"], ["--json"]),
    "cases": ([], ["--json", "--year"]),
    "calendar": (["year"], ["--json"]),
    "config": ([], ["--json"]),
    "desk attach": (["source", "target"], []),
    "desk dismiss": (["submission"], ["--as", "--note"]),
    "desk retry": (["file"], []),
    "dip import": (["file"], []),
    "dip search": (["text"], ["--json"]),
    "extract": (["files"], ["--jobs", "--json", "-j"]),
    "form": (["out"], ["--fillable"]),
    "ingest": (["paths"], ["--json", "--once"]),
    "mail check": ([], ["--json"]),
    "mail status": ([], ["--json"]),
    "pending": ([], ["--json"]),
    "print": ([], ["--date"]),
    "quarantine": ([], ["--json"]),
    "register print": ([], ["--month", "--out", "--year"]),
    "report": ([], ["--out", "--year"]),
    "run": ([], []),
    "search": (["words"], ["--json", "--year"]),
    "sheet": (["number"], ["--out"]),
    "tasks": ([], ["--json", "--overdue", "--role"]),
    "user add": (["username"], ["--name", "--password-stdin", "--role"]),
    "user list": ([], []),
    "worker": ([], []),
}


def test_every_command_and_flag_scripts_use_is_still_there() -> None:
    found = {}

    def walk(command, prefix: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            if hasattr(sub, "commands"):
                walk(sub, [*prefix, name])
                continue
            options = [o for p in sub.params for o in p.opts + p.secondary_opts if o[0] == "-"]
            arguments = [p.name for p in sub.params if p.param_type_name == "argument"]
            found[" ".join([*prefix, name])] = (arguments, sorted(options))

    walk(get_command(app), [])
    assert found == COMMANDS


def test_unknown_command_is_one_readable_error(capsys) -> None:
    code, _, err = run_cli(capsys, "no-such-command")
    assert code == 2
    assert "Traceback" not in err
    assert "No such command" in err


def test_config_hides_secrets_and_honours_environment(capsys, monkeypatch, ppid_home) -> None:
    monkeypatch.setenv("PPID_MAIL_URL", "imaps://clerk:hunter2@mail.example:993/INBOX")
    monkeypatch.setenv("PPID_DATABASE_URL", "postgresql://ppid:s3cret@db/ppid")
    code, out, _ = run_cli(capsys, "config", "--json")
    assert code == 0
    data = json.loads(out)
    assert "hunter2" not in out and "s3cret" not in out
    assert data["mail_url"] == "********"
    assert data["database_url"] == "postgresql://ppid:********@db/ppid"
    assert data["inbox"] == str(ppid_home / "inbox")


def test_config_reads_ppid_toml_under_home(capsys, ppid_home) -> None:
    (ppid_home / "ppid.toml").write_text(
        'working_days = ["2026-03-18"]\n[office]\natasan_name = "Dra. Siti Contoh"\n',
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, "config")
    assert code == 0
    assert "office.atasan_name = Dra. Siti Contoh" in out
    assert "working_days = ['2026-03-18']" in out
