"""Scale-out rehearsal on one machine: PostgreSQL, a Prefect server on it, workers on a work pool.

    .venv/bin/python scripts/scale_test.py [--files 100] [--workers 2] [--limit 1] [--keep]

What `make scale-test` runs. It builds, under `var/scale-test/<run>/`, what a multi-machine
deployment looks like (docs/operations.md, "Several machines"), only on one host:

1. a throw-away PostgreSQL cluster (`scripts/pg_cluster.py`, the one the tests use) on a free
   port, with one database for the register and one for Prefect;
2. a Prefect server on that PostgreSQL database;
3. `ppid run` with `PPID_PREFECT__WORK_POOL` set: it registers the deployments on the process
   work pool and runs the inbox watcher and the web app, but no flow runs of its own;
4. `--workers` (default 2) `prefect worker start --type process` workers on that pool;
5. `--files` mixed files dropped at once: digital forms with a KTP photo in a folder per
   applicant, scanned bundles, scanned forms alone and KTPs alone (the last two stay pending).

It then checks that every file was taken exactly once and ended registered, pending with a
reason or quarantined with a reason; that the register numbers of each year run 1..n without a
gap or a repeat; that every bag passes `ppid archive verify`; that no intake flow run failed;
and that every worker ran intake flow runs (from the workers' `submitted-flow-run` events in the
Prefect API). It prints a summary and exits 1 on any violation. Every process it started is
stopped at the end, whatever happened; `--keep` keeps the run folder (logs, database) for a look.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import pg_cluster  # noqa: E402  (after the path: run as a script)

PYTHON = sys.executable
POOL = "ppid-scale"
FINAL = {"done", "duplicate", "quarantined"}
BAD_RUN_STATES = {"FAILED", "CRASHED"}


class ScaleTestError(Exception):
    """The rehearsal could not be set up (not a violation of the invariants)."""


# --- processes ---------------------------------------------------------------------------------


@dataclass
class Started:
    """A process this script started; stopped by its own process group (never by name)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    stop_signal: int = signal.SIGTERM


@dataclass
class Rehearsal:
    run_dir: Path
    started: list[Started] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)

    def spawn(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        *,
        stop_signal: int = signal.SIGTERM,
        cwd: Path = ROOT,
    ) -> Started:
        log = self.run_dir / "log" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=cwd,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopping it reaches its flow runs too
            )
        started = Started(name, process, log, stop_signal)
        self.started.append(started)
        return started

    def stop_all(self) -> None:
        """Stop what was started, newest first; a process group that lingers is killed."""
        for item in reversed(self.started):
            if item.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(item.process.pid, item.stop_signal)
                try:
                    item.process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(item.process.pid, signal.SIGKILL)
                    item.process.wait()
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(item.process.pid, signal.SIGKILL)  # orphans left in its group

    def check(self, ok: bool, violation: str) -> None:
        if not ok:
            self.violations.append(violation)

    def fact(self, name: str, value: Any) -> None:
        self.facts.append((name, str(value)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, ready: Any, started: Started | None, timeout: float) -> None:
    """Poll `ready()` until true; fail early (with the log's tail) if `started` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if started is not None and started.process.poll() is not None:
            raise ScaleTestError(f"{what} exited at start-up:\n{tail(started.log)}")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.5)
    log = f":\n{tail(started.log)}" if started else ""
    raise ScaleTestError(f"{what} not ready within {timeout:.0f} s{log}")


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- PostgreSQL --------------------------------------------------------------------------------


def start_postgres(rehearsal: Rehearsal) -> str:
    """A fresh cluster under the run folder with the register's and Prefect's databases."""
    try:
        cluster = pg_cluster.start(rehearsal.run_dir / "pg")
    except pg_cluster.PgClusterError as error:
        raise ScaleTestError(str(error)) from error
    # stopped with the rest, newest first: SIGINT is PostgreSQL's "fast" shutdown
    rehearsal.started.append(Started("postgres", cluster.process, cluster.log, signal.SIGINT))
    for database in ("prefect", "ppid"):
        cluster.create_database(database)
    return cluster.address


# --- Prefect, ppid run, workers --------------------------------------------------------------


def http_ok(url: str) -> bool:
    import httpx

    return httpx.get(url, timeout=3).status_code == 200


def start_prefect(rehearsal: Rehearsal, pg: str) -> str:
    port = free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(rehearsal.run_dir / "prefect-server"),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://ppid@{pg}/prefect",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    command = [PYTHON, "-m", "ppid.runtime.prefect_server", "server", "start"]
    command += ["--host", "127.0.0.1"]
    started = rehearsal.spawn("prefect-server", [*command, "--port", str(port)], env)
    api = f"http://127.0.0.1:{port}/api"
    wait_for("the Prefect server", lambda: http_ok(f"{api}/health"), started, 180)
    return api


def ppid_environment(rehearsal: Rehearsal, pg: str, api: str) -> dict[str, str]:
    """What every ppid process and worker sees: the same settings, as on every machine."""
    home = rehearsal.run_dir / "home"
    env = {
        **os.environ,
        "PPID_HOME": str(home),
        "PPID_DATABASE_URL": f"postgresql+psycopg://ppid@{pg}/ppid",
        "PPID_PREFECT__WORK_POOL": POOL,
        "PPID_INTAKE__STABLE_SECONDS": "1",
        "PPID_WEB_PORT": str(free_port()),
        "PPID_INTAKE__PREFECT_PORT": api.rsplit(":", 1)[1].split("/")[0],
        "PREFECT_API_URL": api,
        "PREFECT_HOME": str(home / "var" / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "OMP_THREAD_LIMIT": "1",
    }
    env.pop("PPID_CONFIG", None)
    return env


def has_work_pool_setting() -> bool:
    from ppid.core.settings import Settings

    prefect = Settings.model_fields.get("prefect")
    annotation = getattr(prefect, "annotation", None)
    return bool(annotation and "work_pool" in getattr(annotation, "model_fields", {}))


def start_ppid(rehearsal: Rehearsal, env: dict[str, str]) -> Started:
    started = rehearsal.spawn(
        "ppid-run", [PYTHON, "-m", "ppid", "run"], env, stop_signal=signal.SIGINT
    )
    wait_for("ppid run", lambda: "Ctrl-C" in started.log.read_text(errors="replace"), started, 180)
    return started


def start_workers(rehearsal: Rehearsal, env: dict[str, str], count: int, limit: int) -> list[str]:
    names = []
    for index in range(1, count + 1):
        name = f"scale-worker-{index}"
        command = [PYTHON, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process"]
        command += ["--name", name, "--limit", str(limit)]
        started = rehearsal.spawn(name, command, env, stop_signal=signal.SIGINT)
        wait_for(name, lambda s=started: "started" in s.log.read_text(errors="replace"), None, 120)
        names.append(name)
    return names


# --- the files ---------------------------------------------------------------------------------


@dataclass
class Dropped:
    relative: Path
    kind: str
    group: str  # files of one folder form one submission
    sha256: str = ""


def load_bench_intake() -> Any:
    """bench/intake.py's batch maker (a script, not a package: loaded by its path)."""
    spec = importlib.util.spec_from_file_location("bench_intake", ROOT / "bench" / "intake.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def mix(total: int) -> dict[str, int]:
    """How many of each: half in form + KTP folders, a fifth bundles, the rest lone pieces."""
    pairs = max(1, round(total * 0.25))
    bundles = max(1, round(total * 0.2))
    scans = max(1, round(total * 0.15))
    lone = max(0, total - 2 * pairs - bundles - scans)
    return {"pairs": pairs, "bundles": bundles, "scans": scans, "lone": lone}


def make_files(staging: Path, total: int, seed: int) -> list[Dropped]:
    from tests.corpus.generate import generate

    counts = mix(total)
    batch = load_bench_intake().make_batch(
        staging, counts["pairs"], counts["bundles"], counts["lone"], seed
    )
    dropped = []
    for submission in batch.submissions:
        for relative in submission.files:
            group = relative.parent.as_posix() if relative.parent != Path(".") else relative.name
            dropped.append(Dropped(relative, submission.kind, group))
    scans = staging / "_scans"
    generate(scans, count=counts["scans"], seed=seed, kinds=("typed_scan",))
    for path in sorted(p for p in scans.iterdir() if p.name != "truth.jsonl"):
        shutil.move(path, staging / path.name)
        dropped.append(Dropped(Path(path.name), "scanned form alone", path.name))
    shutil.rmtree(scans)
    for item in dropped:
        item.sha256 = hashlib.sha256((staging / item.relative).read_bytes()).hexdigest()
    return dropped


def drop_all(staging: Path, inbox: Path, files: list[Dropped]) -> None:
    """Copy beside, then rename into place: the watcher only ever sees whole files."""
    for item in files:
        target = inbox / item.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        shutil.copy(staging / item.relative, partial)
        partial.rename(target)


# --- waiting and checking ----------------------------------------------------------------------


def ledger(engine: Any) -> dict[str, dict[str, Any]]:
    """sha256 → the intake ledger row with its submission and case."""
    from sqlalchemy import text

    query = text(
        "SELECT f.sha256, f.status, f.error, f.submission_id, f.source_path, "
        "s.status AS sub_status, s.reason, s.case_id, c.number, c.year, c.seq "
        "FROM intake_files f LEFT JOIN submissions s ON s.id = f.submission_id "
        "LEFT JOIN cases c ON c.id = s.case_id"
    )
    with engine.connect() as connection:
        return {row.sha256: dict(row._mapping) for row in connection.execute(query)}


def wait_until_settled(
    engine: Any, files: list[Dropped], api: str, timeout: float, rehearsal: Rehearsal
) -> float:
    """Until every file is final in the ledger and no flow run is still going; returns seconds."""
    started = time.monotonic()
    last_report = 0.0
    while time.monotonic() - started < timeout:
        for item in rehearsal.started:
            if item.process.poll() is not None:
                raise ScaleTestError(f"{item.name} stopped during the run:\n{tail(item.log)}")
        with contextlib.suppress(Exception):
            rows = ledger(engine)
            final = sum(1 for f in files if rows.get(f.sha256, {}).get("status") in FINAL)
            busy = active_runs(api)
            if time.monotonic() - last_report > 30:
                waited = time.monotonic() - started
                print(f"  {waited:4.0f} s: {final}/{len(files)} files final, {busy} runs active")
                last_report = time.monotonic()
            if final == len(files) and busy == 0:
                return time.monotonic() - started
        time.sleep(2)
    raise ScaleTestError(
        f"not settled within {timeout:.0f} s; see the logs under {rehearsal.run_dir}"
    )


def api_post(api: str, path: str, body: dict[str, Any]) -> Any:
    import httpx

    response = httpx.post(f"{api}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def flow_runs(api: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    while True:
        page = api_post(api, "/flow_runs/filter", {"limit": 200, "offset": len(runs)})
        runs.extend(page)
        if len(page) < 200:
            return runs


def active_runs(api: str) -> int:
    """Flow runs still to finish, leaving out the scheduler's (the periodic inbox sweep)."""
    active = {"SCHEDULED", "PENDING", "RUNNING", "RETRYING", "CANCELLING", "PAUSED"}
    return sum(
        1 for run in flow_runs(api) if run["state_type"] in active and not run["auto_scheduled"]
    )


def submissions_by_worker(api: str) -> dict[str, set[str]]:
    """worker name → ids of the flow runs it submitted (its `submitted-flow-run` events)."""
    import httpx

    body = {"filter": {"event": {"name": ["prefect.worker.submitted-flow-run"]}}, "limit": 50}
    page = api_post(api, "/events/filter", body)
    runs: dict[str, set[str]] = defaultdict(set)
    while True:
        for event in page["events"]:
            worker = event["resource"].get("prefect.resource.name", "?")
            for related in event.get("related", []):
                if related.get("prefect.resource.role") == "flow-run":
                    runs[worker].add(
                        related["prefect.resource.id"].removeprefix("prefect.flow-run.")
                    )
        if not page.get("next_page"):
            return runs
        response = httpx.get(page["next_page"], timeout=30)
        response.raise_for_status()
        page = response.json()


def check_files(
    rehearsal: Rehearsal, rows: dict[str, dict[str, Any]], files: list[Dropped]
) -> None:
    """Each file once in the ledger, and final: registered, pending or quarantined with a reason."""
    outcomes: Counter[str] = Counter()
    by_group: dict[str, set[Any]] = defaultdict(set)
    for item in files:
        row = rows.get(item.sha256)
        if row is None:
            rehearsal.check(False, f"{item.relative}: not in the intake ledger")
            continue
        if row["status"] == "quarantined":
            outcomes["quarantined"] += 1
            rehearsal.check(bool(row["error"]), f"{item.relative}: quarantined without a reason")
            continue
        if row["status"] != "done":
            rehearsal.check(False, f"{item.relative}: ended {row['status']}, not done")
            continue
        by_group[item.group].add(row["submission_id"])
        if row["sub_status"] == "registered":
            outcomes["registered"] += 1
            rehearsal.check(row["number"] is not None, f"{item.relative}: registered, no number")
        else:
            outcomes[row["sub_status"] or "no submission"] += 1
            rehearsal.check(bool(row["reason"]), f"{item.relative}: {row['sub_status']}, no reason")
    for group, submissions in by_group.items():
        rehearsal.check(len(submissions) == 1, f"{group}: split over submissions {submissions}")
    extra = set(rows) - {f.sha256 for f in files}
    rehearsal.check(not extra, f"{len(extra)} ledger row(s) for files nobody dropped")
    rehearsal.fact("files by outcome", dict(sorted(outcomes.items())))
    reasons = Counter(
        (row["reason"] or row["error"] or "")[:70]
        for row in rows.values()
        if row["status"] == "quarantined" or row["sub_status"] not in (None, "registered")
    )
    for reason, count in reasons.most_common(5):
        rehearsal.fact(f"  {count} × waiting/held", reason)


def check_register(rehearsal: Rehearsal, engine: Any) -> int:
    """Register numbers unique, and each year's sequence 1..n; each case from one submission."""
    from sqlalchemy import text

    with engine.connect() as connection:
        cases = connection.execute(
            text("SELECT id, number, year, seq FROM cases WHERE number IS NOT NULL")
        ).all()
        per_case = connection.execute(
            text(
                "SELECT case_id, count(*) FROM submissions "
                "WHERE case_id IS NOT NULL GROUP BY case_id"
            )
        ).all()
    numbers = Counter(c.number for c in cases)
    rehearsal.check(
        all(n == 1 for n in numbers.values()),
        f"repeated numbers: {[k for k, n in numbers.items() if n > 1]}",
    )
    by_year: dict[int, list[int]] = defaultdict(list)
    for case in cases:
        by_year[case.year].append(case.seq)
    for year, seqs in by_year.items():
        expected = list(range(1, len(seqs) + 1))
        rehearsal.check(sorted(seqs) == expected, f"{year}: numbering {sorted(seqs)} has a gap")
    rehearsal.check(all(n == 1 for _, n in per_case), "a case is linked to two submissions")
    rehearsal.fact(
        "cases registered", f"{len(cases)} (years {sorted(by_year)}, no gap)" if cases else 0
    )
    return len(cases)


def check_bags(rehearsal: Rehearsal, env: dict[str, str], cases: int) -> None:
    verify = subprocess.run(
        [PYTHON, "-m", "ppid", "archive", "verify", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        results = [json.loads(line) for line in verify.stdout.splitlines() if line.strip()]
    except ValueError:
        results = None
    if not results:
        rehearsal.check(
            verify.returncode == 0, f"ppid archive verify failed:\n{verify.stderr[-2000:]}"
        )
        rehearsal.fact("bags", f"exit code {verify.returncode}")
        return
    bad = [r["bag"] for r in results if not r.get("ok")]
    rehearsal.check(verify.returncode == 0 and not bad, f"bags failing fixity: {bad}")
    numbers = {r.get("number") for r in results}
    rehearsal.check(len(numbers) >= cases, f"{cases} cases but bags for only {len(numbers)}")
    rehearsal.fact("bags valid", f"{len(results) - len(bad)} of {len(results)}")


def check_runs(rehearsal: Rehearsal, api: str, workers: list[str]) -> None:
    runs = [r for r in flow_runs(api) if r.get("name")]
    states = Counter(r["state_type"] for r in runs)
    bad = [f"{r['name']} ({r['state_type']})" for r in runs if r["state_type"] in BAD_RUN_STATES]
    rehearsal.check(not bad, f"flow runs failed: {bad[:10]}")
    spread = submissions_by_worker(api)
    per_worker = {}
    for worker in workers:
        ids = spread.get(worker, set())
        per_worker[worker] = len(ids)
        rehearsal.check(bool(ids), f"worker {worker} ran no flow run")
    known = {i for ids in spread.values() for i in ids}
    unseen = [r["name"] for r in runs if r["id"] not in known and r["state_type"] == "COMPLETED"]
    if unseen:  # events are sent best-effort: a lost one is not a run outside the pool
        rehearsal.fact("runs without an event", f"{len(unseen)} (e.g. {unseen[0]})")
    rehearsal.fact("flow runs by state", dict(sorted(states.items())))
    rehearsal.fact("flow runs per worker", per_worker)


# --- main -------------------------------------------------------------------------------------


def run(args: argparse.Namespace, rehearsal: Rehearsal) -> None:
    from ppid.core.db import make_engine

    if importlib.util.find_spec("psycopg") is None:
        raise ScaleTestError(
            "psycopg (the register's PostgreSQL driver) is missing; install the locked extra: "
            "var/bootstrap/bin/uv sync --frozen --extra postgres (make setup does)"
        )
    if not has_work_pool_setting():
        raise ScaleTestError(
            "this checkout's `ppid run` has no work-pool mode yet (settings: prefect.work_pool)"
        )
    print(f"run folder: {rehearsal.run_dir}", flush=True)
    staging = rehearsal.run_dir / "staging"
    print(f"generating {args.files} files ...", flush=True)
    files = make_files(staging, args.files, args.seed)
    kinds = Counter(f.kind for f in files)
    rehearsal.fact("files dropped", f"{len(files)} {dict(sorted(kinds.items()))}")
    print("starting PostgreSQL, Prefect server, ppid run, workers ...", flush=True)
    pg = start_postgres(rehearsal)
    api = start_prefect(rehearsal, pg)
    env = ppid_environment(rehearsal, pg, api)
    start_ppid(rehearsal, env)
    workers = start_workers(rehearsal, env, args.workers, args.limit)
    inbox = rehearsal.run_dir / "home" / "inbox"
    print(f"dropping {len(files)} files into {inbox} ...", flush=True)
    drop_all(staging, inbox, files)
    engine = make_engine(env["PPID_DATABASE_URL"])
    try:
        seconds = wait_until_settled(engine, files, api, args.timeout, rehearsal)
        rehearsal.fact(
            "time to settle", f"{seconds:.0f} s ({len(files) / seconds * 60:.1f} files/min)"
        )
        check_files(rehearsal, ledger(engine), files)
        cases = check_register(rehearsal, engine)
        check_bags(rehearsal, env, cases)
        check_runs(rehearsal, api, workers)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100, help="files to drop (default 100)")
    parser.add_argument("--workers", type=int, default=2, help="process workers (default 2)")
    parser.add_argument("--limit", type=int, default=1, help="flow runs at once per worker")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for intake")
    parser.add_argument("--keep", action="store_true", help="keep var/scale-test/<run>/")
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = ROOT / "var" / "scale-test" / f"{stamp}-{os.getpid()}"
    run_dir.mkdir(parents=True)
    os.chmod(run_dir, 0o755)
    rehearsal = Rehearsal(run_dir)
    error = None
    try:
        run(args, rehearsal)
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
        print(f"  {name:<22} {value}")
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
