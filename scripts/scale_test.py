"""Scale-out rehearsal on one machine: one machine's warm workers, then two "hosts" of workers.

    .venv/bin/python scripts/scale_test.py [--files 100] [--workers 2] [--process-pool]
        [--limit 1] [--scale-out-first] [--keep]

What `make scale-test` runs. Under `var/scale-test/<run>/` it starts a throw-away PostgreSQL
cluster (`scripts/pg_cluster.py`, the one the tests use) and makes one batch of `--files` mixed
files (digital forms with a KTP photo in a folder per applicant, scanned bundles, scanned forms
alone and KTPs alone; the last two stay pending). Then two phases, each on its own fresh
databases (register and Prefect), Prefect server (on PostgreSQL) and home, the same files
dropped at once into its inbox:

1. **one machine**: `ppid run` on that Prefect server with `--workers` warm workers of its own
   (`intake.workers`), the set-up of one office server;
2. **scale-out**: `ppid run` with `prefect.local_workers = false` (the deployments, the inbox
   watcher and the web app; no flow runs) and `--workers` standalone `ppid worker` processes,
   each started as a host of its own would start it: its own environment, Prefect home and log,
   the same settings, shared PostgreSQL, shared Prefect server and shared home. With
   `--process-pool` the plain-Prefect fallback instead: `prefect.work_pool` set and `--workers`
   `prefect worker start --type process` workers (a Python process per flow run).

The comparison is fair on one box because both phases have the same cores, the same OCR slots
(the "hosts" share this machine's hostname, so their workers share one set of `intake.workers`
slots, as one machine's workers do), the same files and the same PostgreSQL-backed Prefect
server; each figure is drop-to-settled (every file final in the ledger, no flow run active).
The machine's speed drifts with what else runs on it: compare runs in both orders
(`--scale-out-first`) and read the ratio over several runs, with the load average printed.
After each phase it checks that every file was taken exactly once and ended registered,
pending with a reason or quarantined with a reason; that the register numbers of each year run
1..n without a gap or a repeat; that every bag passes `ppid archive verify`; that no flow run
failed; and, in the scale-out phase, that every worker ran flow runs (warm workers record
themselves on each run; process workers in their `submitted-flow-run` events). It prints the
files/min of both phases side by side with the load average, and exits 1 on any violation.
Every process it started is stopped at the end, whatever happened; `--keep` keeps the run
folder (logs, databases) for a look.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import signal
import socket
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# what `ppid run` gives its own workers, given to the standalone ones as a service unit would
from ppid.runtime.workers import WORKER_ENVIRONMENT  # noqa: E402
from scripts import pg_cluster  # noqa: E402  (after the path: run as a script)
from scripts.rehearsal_checks import (  # noqa: E402
    check_bags,
    check_files,
    check_register,
    check_runs,
    ledger,
    wait_until_settled,
)
from scripts.rehearsal_files import Dropped, drop_all, make_files  # noqa: E402
from scripts.rehearsal_processes import (  # noqa: E402
    PYTHON,
    Rehearsal,
    ScaleTestError,
    Started,
    free_port,
    said,
    start_postgres,
    start_prefect,
    wait_for,
)

POOL = "ppid-scale"


@dataclass
class Phase:
    """One of the two set-ups: its name, folder, databases and figure."""

    name: str
    slug: str
    seconds: float = 0.0
    files: int = 0
    load: str = ""


def ppid_environment(
    rehearsal: Rehearsal, phase: Phase, cluster: pg_cluster.PgCluster, api: str, workers: int
) -> dict[str, str]:
    """What the phase's `ppid run` sees; a worker "host" gets a copy with its own Prefect home."""
    home = rehearsal.run_dir / phase.slug / "home"
    env = {
        **os.environ,
        "PPID_HOME": str(home),
        "PPID_DATABASE_URL": cluster.url(f"ppid_{phase.slug}"),
        "PPID_INTAKE__STABLE_SECONDS": "1",
        "PPID_INTAKE__WORKERS": str(workers),
        "PPID_WEB_PORT": str(free_port()),
        "PPID_PUBLIC__PORT": str(free_port()),
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(home / "var" / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "OMP_THREAD_LIMIT": "1",
    }
    env.pop("PPID_CONFIG", None)
    return env


def start_ppid(rehearsal: Rehearsal, name: str, env: dict[str, str]) -> Started:
    started = rehearsal.spawn(name, [PYTHON, "-m", "ppid", "run"], env, stop_signal=signal.SIGINT)
    wait_for("ppid run", lambda: said(started, "Ctrl-C"), started, 300)
    return started


def start_warm_workers(
    rehearsal: Rehearsal, phase: Phase, env: dict[str, str], count: int
) -> list[str]:
    """`count` standalone `ppid worker` processes, each as on a host of its own; their names
    as they record themselves on flow runs ("host:pid")."""
    workers = []
    for index in range(1, count + 1):
        host = rehearsal.run_dir / phase.slug / f"host-{index}"
        own = {**env, **WORKER_ENVIRONMENT, "PREFECT_HOME": str(host / "prefect")}
        name = f"{phase.slug}-host-{index}-worker"
        started = rehearsal.spawn(name, [PYTHON, "-m", "ppid", "worker"], own)
        workers.append((started, f"{socket.gethostname()}:{started.process.pid}"))
    for started, _ in workers:  # warming up side by side
        wait_for(started.name, lambda s=started: said(s, " ready: "), started, 300)
    return [name for _, name in workers]


def start_process_workers(
    rehearsal: Rehearsal, env: dict[str, str], count: int, limit: int
) -> list[str]:
    names = []
    for index in range(1, count + 1):
        name = f"scale-worker-{index}"
        command = [PYTHON, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process"]
        command += ["--name", name, "--limit", str(limit)]
        started = rehearsal.spawn(name, command, env, stop_signal=signal.SIGINT)
        wait_for(name, lambda s=started: said(s, "started"), started, 120)
        names.append(name)
    return names


def run_phase(
    rehearsal: Rehearsal,
    phase: Phase,
    cluster: pg_cluster.PgCluster,
    staging: Path,
    files: list[Dropped],
    args: argparse.Namespace,
) -> None:
    """Set the phase up, drop the files, time them to settled, check, and stop its processes."""
    from ppid.core.db import make_engine

    rehearsal.label = f"[{phase.name}] "
    first = len(rehearsal.started)
    print(f"\n{phase.name}: starting the Prefect server, ppid run and the workers ...", flush=True)
    cluster.create_database(f"prefect_{phase.slug}")
    cluster.create_database(f"ppid_{phase.slug}")
    database = cluster.url(f"prefect_{phase.slug}", driver="postgresql+asyncpg")
    server_home = rehearsal.run_dir / phase.slug / "prefect-server"
    api = start_prefect(rehearsal, f"{phase.slug}-prefect-server", database, server_home)
    env = ppid_environment(rehearsal, phase, cluster, api, args.workers)
    workers: list[str] = []
    by_events = False
    if phase.slug == "one":
        start_ppid(rehearsal, "one-ppid-run", env)
    elif args.process_pool:
        env["PPID_PREFECT__WORK_POOL"] = POOL
        start_ppid(rehearsal, "pool-ppid-run", env)
        workers, by_events = start_process_workers(rehearsal, env, args.workers, args.limit), True
    else:
        start_ppid(rehearsal, "out-ppid-run", {**env, "PPID_PREFECT__LOCAL_WORKERS": "false"})
        workers = start_warm_workers(rehearsal, phase, env, args.workers)
    inbox = Path(env["PPID_HOME"]) / "inbox"
    before = os.getloadavg()
    print(f"dropping {len(files)} files into {inbox} ...", flush=True)
    drop_all(staging, inbox, files)
    engine = make_engine(env["PPID_DATABASE_URL"])
    try:
        phase.seconds = wait_until_settled(engine, files, api, args.timeout, rehearsal)
        phase.files = len(files)
        after = os.getloadavg()
        phase.load = f"{before[0]:.1f} before, {after[0]:.1f} after (1-min)"
        rate = len(files) / phase.seconds * 60
        rehearsal.fact("time to settle", f"{phase.seconds:.0f} s ({rate:.1f} files/min)")
        rehearsal.fact("load average", phase.load)
        check_files(rehearsal, ledger(engine), files)
        cases = check_register(rehearsal, engine)
        check_bags(rehearsal, env, cases)
        check_runs(rehearsal, api, workers, by_events)
    finally:
        engine.dispose()
        rehearsal.stop_all(since=first)
        rehearsal.label = ""


def run(args: argparse.Namespace, rehearsal: Rehearsal, phases: list[Phase]) -> None:
    if importlib.util.find_spec("psycopg") is None:
        raise ScaleTestError(
            "psycopg (the register's PostgreSQL driver) is missing; install the locked extra: "
            "var/bootstrap/bin/uv sync --frozen --extra postgres (make setup does)"
        )
    print(f"run folder: {rehearsal.run_dir}", flush=True)
    staging = rehearsal.run_dir / "staging"
    print(f"generating {args.files} files ...", flush=True)
    files = make_files(staging, args.files, args.seed)
    kinds = Counter(f.kind for f in files)
    rehearsal.fact("files dropped", f"{len(files)} {dict(sorted(kinds.items()))}")
    rehearsal.fact("machine", f"{os.cpu_count()} cores, {args.workers} workers per phase")
    cluster = start_postgres(rehearsal)
    for phase in phases:
        run_phase(rehearsal, phase, cluster, staging, files, args)


def side_by_side(phases: list[Phase]) -> None:
    """Files per minute of both phases, and the scale-out's over one machine's."""
    done = [phase for phase in phases if phase.seconds]
    if not done:
        return
    print("\nFiles per minute, drop to settled")
    for phase in done:
        rate = phase.files / phase.seconds * 60
        print(f"  {phase.name:<27} {rate:6.1f}   ({phase.seconds:.0f} s; load {phase.load})")
    if len(done) == 2:
        one, out = sorted(done, key=lambda phase: phase.slug != "one")
        print(f"  scale-out / one machine: {one.seconds / out.seconds:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100, help="files to drop (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="workers per phase (default 2)")
    parser.add_argument(
        "--process-pool",
        action="store_true",
        help="scale out with Prefect process workers on a work pool instead of `ppid worker`",
    )
    parser.add_argument("--limit", type=int, default=1, help="process pool: runs per worker")
    parser.add_argument(
        "--scale-out-first",
        action="store_true",
        help="run the scale-out phase before the one-machine phase (to see the order's effect)",
    )
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait per phase")
    parser.add_argument("--keep", action="store_true", help="keep var/scale-test/<run>/")
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = ROOT / "var" / "scale-test" / f"{stamp}-{os.getpid()}"
    run_dir.mkdir(parents=True)
    os.chmod(run_dir, 0o755)
    rehearsal = Rehearsal(run_dir)
    scale_out = "process pool" if args.process_pool else "warm workers"
    phases = [
        Phase("one machine", "one"),
        Phase(f"scale-out, {scale_out}", "out"),
    ]
    if args.scale_out_first:
        phases.reverse()
    error = None
    try:
        run(args, rehearsal, phases)
    except ScaleTestError as problem:
        error = str(problem)
    except KeyboardInterrupt:
        error = "interrupted"
    except Exception as problem:  # report, then still stop everything and print the summary
        error = f"{type(problem).__name__}: {problem}"
    finally:
        rehearsal.stop_all()
    print("\nScale rehearsal summary")
    for name, value in rehearsal.facts:
        print(f"  {name:<40} {value}")
    side_by_side(phases)
    if error:
        print(f"\nNOT COMPLETED: {error}", file=sys.stderr)
    for violation in rehearsal.violations:
        print(f"  VIOLATION: {violation}", file=sys.stderr)
    ok = not error and not rehearsal.violations
    print("\nresult: " + ("all invariants hold" if ok else "FAILED"))
    if ok and not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    elif not ok:
        print(f"logs kept in {run_dir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
