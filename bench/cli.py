"""Command-line latency: how long `ppid` takes to answer, from the shell, as a script calls it.

    .venv/bin/python bench/cli.py [--runs 10] [--cases 200] [--no-step] [--postgresql]

Each command runs `--runs` times after one untimed run (hyperfine's way: the page cache warm, the
process started afresh every time); the wall time of each run is from the start of the process to
its exit, and the table gives the median and the range, and the median CPU time of the command's
own process (which a loaded machine changes far less than the wall time). The home is a
throw-away one holding `--cases` registered cases of invented people (tests/corpus/people.py),
each with its open task.

The listing commands run against that home with nothing else started. Then `ppid run` is started
on it (its Prefect server and warm workers) and `ppid case advance … --as petugas --decision
forward` is timed on a different case each run: the step as a flow run of the advance-case
deployment, executed by a warm worker, the case's bag rebuilt, the command returning once the run
has ended. Last, the same step with the system stopped (the step and the archive in the command's
own process). Targets: listing commands < 0.5 s, a case step < 1.5 s. With `--postgresql` the
home's database is a throw-away PostgreSQL cluster (scripts/pg_cluster.py) and only the listing
commands run.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, machine, table

from ppid.casework import workflow
from ppid.casework.register import register_case
from ppid.core.db import open_db
from ppid.core.models import Case
from ppid.core.settings import load_settings
from scripts import pg_cluster
from tests.corpus.people import make_objection, make_person

PPID = [sys.executable, "-m", "ppid"]
LISTING = (
    ("ppid --help", ["--help"]),
    ("ppid cases --json", ["cases", "--json"]),
    ("ppid cases", ["cases"]),
    ("ppid tasks", ["tasks"]),
    ("ppid tasks --json --role petugas", ["tasks", "--json", "--role", "petugas"]),
    ("ppid case show N --json", ["case", "show", "{number}", "--json"]),
    ("ppid pending --json", ["pending", "--json"]),
    ("ppid config --json", ["config", "--json"]),
)
LISTING_TARGET, STEP_TARGET = 0.5, 1.5
# What the machine's load does to a start-up: the same measure of one import every listing needs
# (the database library), beside the commands, so figures from a busy machine can be read.
REFERENCE = ("python -c 'import sqlalchemy.orm'", ["-c", "import sqlalchemy.orm"])


def make_home(folder: Path, count: int, seed: int, database_url: str | None) -> list[str]:
    """A home with `count` registered cases, each with its first task; their numbers."""
    settings = load_settings(
        home=folder, **({"database_url": database_url} if database_url else {})
    )
    sessions = open_db(settings)
    rng = random.Random(seed)
    numbers = []
    with sessions() as session, session.begin():
        for _ in range(count):
            fields = make_objection(rng, make_person(rng))
            applicant = fields["applicant"]
            case = Case(
                applicant_name=applicant["name"],
                applicant_nik=applicant["nik"],
                applicant_address=applicant["address"],
                request_number=fields["request_number"],
                purpose=fields["purpose"],
                case_description=fields["case_description"],
            )
            case.reasons = fields["reasons"]
            register_case(session, settings, case, datetime.now(UTC), actor="petugas1")
            workflow.start(session, settings, case)
            numbers.append(str(case.number))
    return numbers


def environment(home: Path, port: int, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PPID_", "PREFECT_API"))}
    env.update(
        PPID_HOME=str(home), PPID_WEB_PORT=str(port), PPID_INTAKE__PREFECT_PORT=str(port + 1)
    )
    if database_url:
        env["PPID_DATABASE_URL"] = database_url
    return env


def timed(args: list[str], env: dict[str, str], command: list[str] = PPID) -> tuple[float, float]:
    """Wall seconds of one run of `ppid ARGS`, and the CPU seconds of its own process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*command, *args], env=env, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"ppid {' '.join(args)} failed:\n{done.stderr.decode()[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


def row(label: str, runs: list[tuple[float, float]], target: float | None) -> list[str]:
    times = [wall for wall, _ in runs]
    median = statistics.median(times)
    met = target is not None and median < target
    verdict = "reference" if target is None else f"< {target}: " + ("yes" if met else "NO")
    spread = f"{min(times):.2f}–{max(times):.2f}"
    cpu = statistics.median(cpu for _, cpu in runs)
    return [label, f"{median:.2f}", spread, f"{cpu:.2f}", str(len(times)), verdict]


def bench_listing(env: dict[str, str], number: str, runs: int) -> list[list[str]]:
    label, args = REFERENCE
    python = [sys.executable]
    timed(args, env, python)
    rows = [row(label, [timed(args, env, python) for _ in range(runs)], None)]
    for label, args in LISTING:
        args = [a.format(number=number) for a in args]
        timed(args, env)  # warm-up: the page cache, as hyperfine does
        rows.append(row(label, [timed(args, env) for _ in range(runs)], LISTING_TARGET))
    return rows


def step(number: str) -> list[str]:
    return ["case", "advance", number, "--as", "petugas", "--decision", "forward", "--json"]


def bench_steps(env: dict[str, str], home: Path, numbers: list[str], runs: int) -> list[list[str]]:
    """The step through `ppid run`'s warm workers, then with the system stopped."""
    log = (home / "ppid-run.log").open("wb")
    system = subprocess.Popen(
        [*PPID, "run"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 300
        while "Ctrl-C" not in (home / "ppid-run.log").read_text(errors="replace"):
            if system.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("ppid run did not start; see " + str(home / "ppid-run.log"))
            time.sleep(0.5)
        timed(step(numbers.pop()), env)  # warm-up
        through_prefect = [timed(step(numbers.pop()), env) for _ in range(runs)]
    finally:
        system.send_signal(signal.SIGINT)
        system.wait(timeout=120)
        log.close()
    timed(step(numbers.pop()), env)
    direct = [timed(step(numbers.pop()), env) for _ in range(runs)]
    return [
        row("ppid case advance (flow run, warm worker)", through_prefect, STEP_TARGET),
        row("ppid case advance (system stopped: in-process)", direct, STEP_TARGET),
    ]


def bytecode_note() -> str:
    """Whether the installed packages were compiled (`make setup` does; a bare `uv sync` not)."""
    import sqlalchemy

    compiled = (Path(sqlalchemy.__file__).parent / "__pycache__").is_dir()
    return "packages compiled to bytecode" if compiled else "packages NOT compiled (run make setup)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command")
    parser.add_argument("--cases", type=int, default=200, help="registered cases in the home")
    parser.add_argument("--no-step", action="store_true", help="only the listing commands")
    parser.add_argument(
        "--postgresql", action="store_true", help="on a throw-away PostgreSQL (listings only)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ppid-bench-cli-") as scratch:
        home = Path(scratch)
        cluster = start_postgresql(home / "pg") if args.postgresql else None
        try:
            database_url = cluster.create_database("ppid") if cluster else None
            numbers = make_home(home, max(args.cases, 2 * args.runs + 3), args.seed, database_url)
            env = environment(home, 23000 + os.getpid() % 20000, database_url)
            print(machine())
            database = "PostgreSQL" if cluster else "SQLite"
            print(f"{len(numbers)} cases on {database}; {bytecode_note()}; {args.runs} runs each")
            rows = bench_listing(env, numbers[0], args.runs)
            if not (args.no_step or cluster):
                rows += bench_steps(env, home, numbers[1:], args.runs)
        finally:
            if cluster:
                cluster.stop()
        print(table(["command", "median s", "range s", "CPU s", "runs", "target"], rows))
        print(machine())


def start_postgresql(folder: Path) -> pg_cluster.PgCluster:
    """A throw-away cluster in `folder` (as root it runs as `postgres`, who must reach it)."""
    folder.parent.chmod(0o755)
    return pg_cluster.start(folder)


if __name__ == "__main__":
    main()
