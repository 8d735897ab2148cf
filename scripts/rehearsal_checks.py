"""The scale-out rehearsal's waiting and invariants: every file once and final, the register
gap-free, every bag valid, no flow run failed, every worker busy. Part of scripts/scale_test.py.

The checks are plain functions over the register and the Prefect API (tests/test_scale_checks.py
plants violations in a real register to prove they are caught).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from scripts.rehearsal_processes import PYTHON, ROOT, Rehearsal, ScaleTestError, tail

if TYPE_CHECKING:
    from scripts.rehearsal_files import Dropped

FINAL = {"done", "duplicate", "quarantined"}
BAD_RUN_STATES = {"FAILED", "CRASHED"}


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


def runs_by_worker(api: str, by_events: bool) -> dict[str, set[str]]:
    """worker → ids of the flow runs it ran: a warm worker ("host:pid") records itself on each
    run (`infrastructure_pid`); a process worker (its name) in `submitted-flow-run` events."""
    if by_events:
        return submissions_by_worker(api)
    runs: dict[str, set[str]] = defaultdict(set)
    for run in flow_runs(api):
        if run.get("infrastructure_pid"):
            runs[run["infrastructure_pid"]].add(run["id"])
    return runs


def check_runs(rehearsal: Rehearsal, api: str, workers: list[str], by_events: bool) -> None:
    """No flow run failed; each of `workers` ran flow runs (none given: only counted)."""
    runs = [r for r in flow_runs(api) if r.get("name")]
    states = Counter(r["state_type"] for r in runs)
    bad = [f"{r['name']} ({r['state_type']})" for r in runs if r["state_type"] in BAD_RUN_STATES]
    rehearsal.check(not bad, f"flow runs failed: {bad[:10]}")
    spread = runs_by_worker(api, by_events)
    per_worker = {worker: len(spread.get(worker, set())) for worker in workers or spread}
    for worker in workers:
        rehearsal.check(per_worker[worker] > 0, f"worker {worker} ran no flow run")
    known = {i for ids in spread.values() for i in ids}
    # a subflow (the sweep processing a file it found first) runs in its parent's worker
    top = [r for r in runs if not r.get("parent_task_run_id")]
    unseen = [r["name"] for r in top if r["id"] not in known and r["state_type"] == "COMPLETED"]
    if unseen and by_events:  # events are sent best-effort: a lost one is not a run outside
        rehearsal.fact("runs without an event", f"{len(unseen)} (e.g. {unseen[0]})")
    else:
        rehearsal.check(not unseen, f"{len(unseen)} run(s) completed by no known worker")
    rehearsal.fact("flow runs by state", dict(sorted(states.items())))
    rehearsal.fact("flow runs per worker", per_worker)
