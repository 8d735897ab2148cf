"""The `ppid` command as a person uses it: help everywhere, one-line errors, secrets hidden."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.main import get_command

from ppid.cli.app import app
from ppid.core.errors import ExitCode
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
        [
            "--actor",
            "--as",
            "--consequence",
            "--decision",
            "--item",
            "--json",
            "--letter-text",
            "--note",
            "--pasal17",
            "--set",
        ],
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
    "worker": ([], ["--supervisor"]),
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


def test_help_lists_every_exit_code_with_its_meaning(capsys) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    for exit_code in ExitCode:
        assert f"{int(exit_code):>3}  {exit_code.meaning}" in out


# What a command may not import to answer quickly: the libraries that cost a command most of its
# time (Prefect's SDK, WeasyPrint, OpenCV, pikepdf's PDF/A checker, Alembic), and for `--help`
# the database and the settings as well. A command that needs one imports it when it runs.
HEAVY = ("prefect", "weasyprint", "cv2", "pikepdf.pdfa", "alembic", "fontTools")
IMPORTS_OF = """
import sys
from ppid.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("\\n".join(sorted(sys.modules)))
"""


def _modules_imported_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_OF, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def _migrated_database() -> None:
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings

    open_db(load_settings())


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_help_imports_neither_the_database_nor_the_settings() -> None:
    modules = _modules_imported_by("--help")
    assert _heavy(modules, (*HEAVY, "sqlalchemy", "pydantic_settings", "holidays")) == []


# Beyond HEAVY, what a listing on SQLite has no use for: another database's dialect, and (but for
# `tasks`, which counts working days left) the holiday tables, whose package loads every country.
POSTGRESQL = "sqlalchemy.dialects.postgresql"


@pytest.mark.parametrize(
    ("command", "unused"),
    [
        (["cases", "--json"], (POSTGRESQL, "holidays")),
        (["tasks"], (POSTGRESQL,)),
        (["case", "show", "001/KEB/X/2026"], (POSTGRESQL, "holidays")),
        (["pending"], (POSTGRESQL, "holidays")),
    ],
)
def test_listing_commands_import_no_heavy_library(
    command: list[str], unused: tuple[str, ...], ppid_home
) -> None:
    _migrated_database()  # a new database is migrated first, with Alembic, once
    assert _heavy(_modules_imported_by(*command), (*HEAVY, *unused)) == []


def test_a_case_step_submitted_to_prefect_imports_neither_prefect_nor_the_archive(
    ppid_home, monkeypatch
) -> None:
    """The step is refused in-process here (no such case), past every import the step needs."""
    _migrated_database()
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    modules = _modules_imported_by(
        "case", "advance", "001/KEB/X/2026", "--as", "petugas", "--decision", "forward", env=env
    )
    assert "ppid.runtime.steps" in modules
    assert _heavy(modules, (*HEAVY, "ppid.archive", "parsers.extract")) == []
