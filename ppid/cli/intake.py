"""Commands of intake: take in the inbox and the mailboxes, what waits, what was set aside, and
the intake desk's actions."""

from __future__ import annotations

from pathlib import Path

import typer

from ppid.cli.output import echo_json, echo_json_line

commands = typer.Typer()
desk_app = typer.Typer(help="Intake desk: join a form and an ID, dismiss, retry quarantine.")


@commands.command()
def ingest(
    paths: list[Path] = typer.Argument(None, help="Files or folders; default: the whole inbox."),
    once: bool = typer.Option(True, "--once", help="Process what is there now and exit."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input."),
) -> None:
    """Process the inbox and the mailboxes (or the given files) with the flows `ppid run` serves."""
    from ppid.core.settings import load_settings
    from ppid.intake.inbox import printable, utf8_name
    from ppid.runtime.deployments import load_flow
    from ppid.runtime.prefect_env import use_prefect
    from ppid.runtime.prefect_patches import lean_flow_runs

    settings = load_settings()
    use_prefect(settings)
    sweep_inbox = load_flow("sweep-inbox")

    # a name that is not UTF-8 cannot be a flow parameter: rename it first, as the sweep does
    named = [p.parent / (utf8_name(p.parent, p.name) or p.name) for p in paths or []]
    with lean_flow_runs():
        outcomes = sweep_inbox([str(p) for p in named] if paths else None)
        if not paths and (settings.mail_url or settings.mail.urls):
            outcomes += load_flow(
                "check-mailboxes"
            )()  # the configured mailboxes are drained as well
    for outcome in outcomes:
        if as_json:
            echo_json_line(outcome)
        else:
            detail = outcome.get("register_number") or outcome.get("reason") or ""
            line = f"{outcome['outcome']:<12} {outcome['file']}  {detail}"
            typer.echo(printable(line))
    if not as_json:
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome["outcome"]] = counts.get(outcome["outcome"], 0) + 1
        summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "nothing to do"
        typer.echo(f"{len(outcomes)} file(s): {summary}")


@commands.command()
def pending(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Submissions waiting for a missing piece (a form without ID, …), with the reason."""
    from ppid.core.settings import load_settings
    from ppid.intake.inbox import printable
    from ppid.intake.ledger import IntakeContext
    from ppid.intake.pairing import pending_submissions

    rows = pending_submissions(IntakeContext.open(load_settings()))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("No submissions waiting.")
    for row in rows:
        names = printable(", ".join(row["files"]))
        typer.echo(f"#{row['id']}  {row['since'][:16]}  {names}")
        typer.echo(f"      {printable(row['reason'])}")


@commands.command()
def quarantine(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Files that could not be processed, with the reason; move one back into the inbox to retry."""
    from ppid.core.settings import load_settings
    from ppid.intake.inbox import list_quarantine, printable

    settings = load_settings()
    assert settings.quarantine is not None
    rows = [{"file": str(p), "reason": r} for p, r in list_quarantine(settings.quarantine)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("Karantina kosong.")
    for row in rows:
        typer.echo(f"{printable(row['file'])}\n      {printable(row['reason'])}")


@desk_app.command("attach")
def desk_attach(
    source: int = typer.Argument(..., help="Pending submission whose files move (e.g. the ID)."),
    target: int = typer.Argument(..., help="Pending submission they join (e.g. the form)."),
) -> None:
    """Join two pending submissions (see `ppid pending`) and register them if now complete."""
    from ppid.archive.sequences import REGISTER_SUBMISSION
    from ppid.core.settings import load_settings
    from ppid.intake.desk import attach_submission
    from ppid.intake.ledger import IntakeContext

    ctx = IntakeContext.open(load_settings())
    outcome = attach_submission(ctx, source, target, REGISTER_SUBMISSION)
    typer.echo(f"{outcome.outcome} {outcome.register_number or outcome.reason or ''}".strip())


@desk_app.command("dismiss")
def desk_dismiss(
    submission: int = typer.Argument(..., help="Pending submission number."),
    note: str = typer.Option(..., "--note", help="Why this is not an objection."),
    actor: str = typer.Option("petugas", "--as", help="Who decides (kept with the note)."),
) -> None:
    """Mark a pending submission as not an objection."""
    from ppid.core.settings import load_settings
    from ppid.intake.desk import dismiss_submission
    from ppid.intake.ledger import IntakeContext

    dismiss_submission(IntakeContext.open(load_settings()), submission, actor, note)
    typer.echo(f"submission #{submission}: not an objection")


@desk_app.command("retry")
def desk_retry(
    file: str = typer.Argument(..., help="Path relative to the quarantine folder."),
) -> None:
    """Move a quarantined file back into the inbox so intake takes it again."""
    from ppid.core.settings import load_settings
    from ppid.intake.desk import retry_quarantined

    typer.echo(str(retry_quarantined(load_settings(), file)))
