"""Commands on web app accounts: add one, list them."""

from __future__ import annotations

import sys

import typer

from ppid.core.errors import BadInputError

user_app = typer.Typer(help="Web app accounts (petugas, bidang, atasan, arsiparis, admin).")


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Login name, e.g. rina.petugas."),
    role: str = typer.Option(..., "--role", help="petugas, bidang, atasan, arsiparis or admin."),
    name: str = typer.Option("", "--name", help="Display name shown in the app and history."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (scripts)."
    ),
) -> None:
    """Add a web user; the password is asked for (twice) unless --password-stdin."""
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings
    from ppid.web.auth import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Kata sandi", hide_input=True, confirmation_prompt=True)
    if not password:
        raise BadInputError("user.no_password")
    with open_db(load_settings())() as session, session.begin():
        user = add_user(session, username, role, password, name)
        typer.echo(f"added {user.username} ({user.role})")


@user_app.command("list")
def user_list() -> None:
    """List web users with role and status."""
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings
    from ppid.web.auth import list_users

    with open_db(load_settings())() as session:
        for user in list_users(session):
            state = "aktif" if user.active else "nonaktif"
            typer.echo(f"{user.username:<24} {user.role:<10} {state:<9} {user.display_name}")
