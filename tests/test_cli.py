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
        'cuti_bersama = ["2026-03-18"]\n[office]\natasan_name = "Dra. Siti Contoh"\n',
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, "config")
    assert code == 0
    assert "office.atasan_name = Dra. Siti Contoh" in out
    assert "cuti_bersama = ['2026-03-18']" in out
