"""Commands that run the system and show its settings: `config`, `calendar`, `run`, `worker`."""

from __future__ import annotations

import os

import typer

from ppid.cli.output import echo_json

commands = typer.Typer()


@commands.command()
def config(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the effective settings (ppid.toml + PPID_* environment), secrets hidden."""
    from ppid.core.settings import load_settings, settings_for_display

    data = settings_for_display(load_settings())
    if as_json:
        echo_json(data)
        return
    for key, value in _flatten(data):
        typer.echo(f"{key} = {value}")


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows: list[tuple[str, object]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(_flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


@commands.command("calendar")
def calendar_command(
    year: int = typer.Argument(..., help="The year, e.g. 2027."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The year's days off (holidays, cuti bersama, ppid.toml's days_off) and where each comes
    from; weekends are off as working_hours says."""
    from ppid.core.calendar import HARI, calendar_from_settings, days_off_in
    from ppid.core.settings import load_settings

    cal = calendar_from_settings(load_settings())
    rows = [(d.day, d.name, d.source) for d in days_off_in(cal, year)]
    rows += [(day, "worked, though the package lists it", "ppid.toml working_days")
             for day in cal.working_days if day.year == year]  # fmt: skip
    rows.sort()
    if as_json:
        echo_json(
            [{"date": day.isoformat(), "name": name, "source": src} for day, name, src in rows]
        )
        return
    for day, name, source in rows:
        typer.echo(f"{day.isoformat()}  {HARI[day.weekday()]:<6}  {name:<52}  {source}")


@commands.command()
def run() -> None:
    """Start the whole system: Prefect server, intake deployments, inbox watcher, web app.

    With PREFECT_API_URL set it uses that (shared) Prefect server instead of starting one;
    with `prefect.local_workers = false` it runs no flow runs itself (`ppid worker` on other
    machines does)."""
    from ppid.core.settings import load_settings
    from ppid.runtime.prefect_env import use_prefect
    from ppid.runtime.run import run as run_system

    settings = load_settings()
    shared = os.environ.get("PREFECT_API_URL")  # the operator's, not a past run's address
    use_prefect(settings)  # before Prefect is imported: it reads its settings then
    from ppid.web.app import create_app
    from ppid.web.public.app import create_public_app

    public = create_public_app(settings) if settings.public.enabled else None
    run_system(settings, create_app(settings), public, shared_api=shared)


@commands.command()
def worker(
    supervisor: int = typer.Option(
        0, "--supervisor", hidden=True, help="pid of the `ppid run` that started this worker"
    ),
) -> None:
    """A warm flow-run worker: claims and runs the flow runs of the deployments `ppid run`
    registered. `ppid run` starts its own; run it standalone on another machine to add workers.

    \b
    Standalone it needs what the main machine has: the same checkout path and ppid.toml,
    PREFECT_API_URL naming the shared Prefect server, the shared PostgreSQL register
    (database_url) and the shared inbox and archive. It logs to standard error and stops
    after the flow run in hand on SIGINT (SIGTERM: at once; the sweep resumes the file).
    Exit codes: 0 stopped by a signal; 5 PREFECT_API_URL unset or the settings unusable;
    9 the Prefect server or the database does not answer, or `ppid run` has not
    registered the deployments yet (start it first; a service manager may retry).
    """
    from ppid.core.settings import load_settings
    from ppid.runtime.prefect_env import use_prefect
    from ppid.runtime.warm import run_worker

    settings = load_settings()
    use_prefect(settings)
    run_worker(settings, supervisor or None)
