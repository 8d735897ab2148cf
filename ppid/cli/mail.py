"""Commands of e-mail intake: test the mailboxes, read the message ledger."""

from __future__ import annotations

import typer

from ppid.cli.output import echo_json, echo_json_line
from ppid.core.errors import ConfigError, PpidError

mail_app = typer.Typer(help="E-mail intake: the IMAP mailboxes objections arrive in.")


@mail_app.command("check")
def mail_check(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Test the connection to each mailbox and list what the next run would ingest."""
    from ppid.core.settings import load_settings
    from ppid.intake.ledger import IntakeContext
    from ppid.intake.mail import imap, ingest

    settings = load_settings()
    accounts = imap.accounts(settings)
    if not accounts:
        raise ConfigError("mail.none_configured")
    ctx = IntakeContext.open(settings)
    failed: list[str] = []
    for account in accounts:
        try:
            rows = ingest.preview(ctx, account)
        except PpidError as error:
            if len(accounts) == 1:
                raise  # one mailbox: its reason is the one line
            typer.echo(f"error: {error.message}", err=True)
            failed.append(account.label)
            continue
        if as_json:
            echo_json_line({"account": account.label, "messages": rows})
            continue
        typer.echo(f"{account.label}/{account.folder}: OK, {len(rows)} message(s)")
        for row in rows:
            typer.echo(
                f"  #{row['uid']:<6} {row['size'] / 1024:>8.0f} KB  {row['action']:<18} "
                f"{row['from'][:30]:<30} {row['subject'][:60]}"
            )
    if failed:
        raise imap.MailError("mail.check_failed", failed=len(failed), total=len(accounts))


@mail_app.command("status")
def mail_status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The e-mail ledger: processed messages, and failing ones with their errors."""
    from ppid.core.settings import load_settings
    from ppid.intake.ledger import IntakeContext
    from ppid.intake.mail import ledger

    rows = ledger.status_rows(IntakeContext.open(load_settings()))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No e-mail processed yet.")
    for row in rows:
        numbers = ", ".join(row["register_numbers"]) or "-"
        typer.echo(
            f"#{row['id']:<5} {row['status']:<10} {row['account']} #{row['uid']}  "
            f"{(row['sender'] or '-')[:30]}  {(row['subject'] or '')[:50]}  → {numbers}"
        )
        if row["error"]:
            retry = row["next_attempt_at"]
            typer.echo(f"       {row['error']}" + (f" (retry after {retry[:16]})" if retry else ""))
