"""Intake benchmark: drop mixed files into a running `ppid run`, measure drop-to-registered.

    .venv/bin/python bench/intake.py [--pairs 15] [--bundles 10] [--lone-ktp 10]
        [--workers 1 2] [--rounds 2]

Phase 0: the OCR time of each probed bundle, extracted alone in this process (wall and CPU,
Tesseract children included), to judge "a scanned bundle within its OCR time + 3 s". Phase 1
(the workers `ppid run` starts by default, nothing else queued, the machine otherwise idle as
far as we can tell: the load average is printed): latency of a digital form + KTP and of a
scanned bundle, one submission at a time. Phase 2, for each worker count: all files dropped at
once; files per minute, latency per kind under load, and the CPU used by the workers, the Prefect
server and `ppid run` (how many cores were busy: whether the machine or the intake limits the
throughput). `ppid run` gives its workers one OCR slot each, so one worker reads a file's pages
one at a time. Then once more with one worker given an OCR slot per core (its pages read in
parallel; `--no-all-cores-baseline` skips it).
`--rounds 2` alternates the worker counts (1, 2, 1, 2) and prints each round's speed-up: the
VM's speed drifts within minutes, and phases run side by side share it.
Latencies come from the database's timestamps, not from polling: "registered" is the drop to the
commit that created the case (register number), "done" the drop to the commit that finished the
last file (receipt rendered, bag written, inbox emptied).
The sweep runs every 30 minutes here so a scheduled sweep does not take the single worker.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _intake_batch import Batch, Submission, make_batch  # noqa: E402
from _intake_system import System  # noqa: E402


def drop(batch: Batch, submission: Submission, inbox: Path) -> None:
    """Copy beside the inbox keeping the file's times (`cp -p`), then rename into place, as a
    clerk's move of a finished download is: the watcher takes such a file at once
    (`renamed_into_place`). A rename in the same clock tick as the copy would look written in
    place and wait `intake.stable_seconds`."""
    for relative in submission.files:
        target = inbox / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        shutil.copy2(batch.staging / relative, partial)
        partial.rename(target)
    submission.dropped = time.time()


def wait(system: System, submissions: list[Submission], inbox: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = system.finished()
        for sub in submissions:
            paths = [str(inbox / f) for f in sub.files]
            if sub.finished is None and all(p in done for p in paths):
                sub.finished = max(done[p][0] for p in paths)
                sub.outcome = done[paths[-1]][1]
                sub.registered = next((done[p][2] for p in paths if done[p][2]), None)
        if all(sub.finished is not None for sub in submissions):
            return
        time.sleep(0.5)
    print(f"  timed out: {sum(s.finished is None for s in submissions)} unfinished")


def _p50_p95(times: list[float]) -> str:
    if not times:
        return f"{'–':>15}"
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return f"{statistics.median(times):>7.1f} /{p95:>6.1f}"


def latency_table(title: str, submissions: list[Submission]) -> None:
    print(f"\n{title}   (load average now {load()})")
    print(
        f"  {'kind':<22}{'n':>4}  {'registered p50/p95 s':>20}  {'done p50/p95 s':>16}   outcomes"
    )
    for kind in sorted({s.kind for s in submissions}):
        subs = [s for s in submissions if s.kind == kind and s.finished is not None]
        if not subs:
            continue
        done = [s.finished - s.dropped for s in subs if s.finished is not None]
        registered = [s.registered - s.dropped for s in subs if s.registered is not None]
        outcomes = ", ".join(sorted({s.outcome for s in subs}))
        print(
            f"  {kind:<22}{len(subs):>4}  {_p50_p95(registered):>20}  {_p50_p95(done):>16}"
            f"   {outcomes}"
        )


STAGES = (
    # (label, from, to): marks are seconds after the drop, per file, from the event store,
    # the flow run and task run records of the Prefect API and the intake ledger
    ("drop → flow run created", "drop", "run_created"),
    ("drop → watcher's event", "drop", "event"),
    ("event → flow run created", "event", "run_created"),
    ("created → worker started it", "run_created", "run_started"),
    ("run start → first task", "run_started", "take"),
    ("take (hash, claim, copy+fsync)", "take", "take_end"),
    ("extract (and QR filing)", "extract", "extract_end"),
    ("register (assemble, check, number)", "register", "register_end"),
    ("issue_receipt (render+bag)", "issue_receipt", "issue_receipt_end"),
    ("finish", "finish", "finish_end"),
    ("between tasks (engine)", None, None),
    ("last task → run ended", "finish_end", "run_ended"),
)


def stage_table(system: System, submissions: list[Submission], inbox: Path) -> None:
    """Where the latency goes, per file: medians of each stage over the probed submissions."""
    import httpx

    marks = _stage_marks(httpx.Client(base_url=system.api, timeout=30), submissions, inbox)
    if not marks:
        print("  (no stage marks: Prefect API not readable)")
        return
    print("\nStages per file, median seconds (digital form+KTP and bundles together; n files)")
    for label, start, end in STAGES:
        if start is None:
            values = [m["_between"] for m in marks.values() if "_between" in m]
        else:
            values = [m[end] - m[start] for m in marks.values() if start in m and end in m]
        if values:
            print(f"  {label:<34}{statistics.median(values):>7.2f}   (n={len(values)})")
    print("  per file, seconds after the drop: event, run created, started, extract, ended")
    for sub in submissions:
        registered = f"{sub.registered - sub.dropped:5.2f}" if sub.registered else "  –  "
        print(f"  {sub.kind}: registered at {registered}")
        for f in sorted(
            sub.files, key=lambda f: marks.get(str(inbox / f), {}).get("run_started", 0)
        ):
            m = marks.get(str(inbox / f), {})
            cells = [
                m.get(k)
                for k in (
                    "event",
                    "run_created",
                    "run_started",
                    "extract",
                    "extract_end",
                    "run_ended",
                )
            ]
            shown = "  ".join(f"{c:5.2f}" if c is not None else "  –  " for c in cells)
            print(f"    {f.name:<14}{shown}")


def _stage_marks(
    client: Any, submissions: list[Submission], inbox: Path
) -> dict[str, dict[str, float]]:
    dropped = {str(inbox / f): sub.dropped for sub in submissions for f in sub.files}
    marks: dict[str, dict[str, float]] = {path: {"drop": 0.0} for path in dropped}
    answer = client.post(
        "/events/filter",
        json={"filter": {"event": {"name": ["ppid.inbox.file.ready"]}}, "limit": 50},
    )
    if answer.status_code != 200:
        print(f"  (events not readable: {answer.status_code} {answer.text[:200]})")
    for event in answer.json().get("events", []) if answer.status_code == 200 else []:
        path = event["resource"].get("ppid.path")
        if path in marks:
            marks[path]["event"] = _iso(event["occurred"]) - dropped[path]
    for run in _file_runs(client):
        path = run["parameters"]["path"]
        if path not in marks:
            continue
        mark, base = marks[path], dropped[path]
        mark["run_created"] = _iso(run["created"]) - base
        mark["run_started"] = _iso(run["start_time"]) - base
        if run.get("end_time"):
            mark["run_ended"] = _iso(run["end_time"]) - base
        tasks = client.post(
            "/task_runs/filter",
            json={"flow_runs": {"id": {"any_": [run["id"]]}}, "limit": 50},
        ).json()
        spans = []
        for task in tasks:
            if not task.get("start_time") or not task.get("end_time"):
                continue
            name = task["name"].rsplit("-", 1)[0]
            first, last = _iso(task["start_time"]) - base, _iso(task["end_time"]) - base
            mark.setdefault(name, first)
            mark[f"{name}_end"] = last
            spans.append((first, last))
        if spans:
            busy = sum(last - first for first, last in spans)
            spans.sort()
            mark["_between"] = (spans[-1][1] - spans[0][0]) - busy
    return marks


def idle_table(system: System, started: float, ended: float) -> None:
    """Where the workers were not running a file's flow run, from Prefect's start and end times:
    before their first run, between runs (claiming the next), after their last one."""
    import httpx

    spans: dict[str, list[tuple[float, float]]] = {}
    for run in _file_runs(httpx.Client(base_url=system.api, timeout=30)):
        if run.get("end_time"):
            spans.setdefault(run.get("infrastructure_pid") or "?", []).append(
                (_iso(run["start_time"]), _iso(run["end_time"]))
            )
    if not spans:
        return
    before = between = after = 0.0
    count = 0
    for worker_spans in spans.values():
        worker_spans.sort()
        before += worker_spans[0][0] - started
        after += ended - worker_spans[-1][1]
        between += sum(b[0] - a[1] for a, b in itertools.pairwise(worker_spans))
        count += len(worker_spans)
    print(
        f"  workers idle (summed over {len(spans)}): {before:.1f} s before their first run, "
        f"{between:.1f} s between runs ({between / max(count - len(spans), 1):.2f} s each), "
        f"{after:.1f} s after their last"
    )


def _file_runs(client: Any) -> list[dict[str, Any]]:
    """The flow runs of dropped files (their `path` parameter) that have started."""
    runs = client.post("/flow_runs/filter", json={"limit": 200}).json()
    return [
        run for run in runs if "path" in (run.get("parameters") or {}) and run.get("start_time")
    ]


def _iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def ocr_times(batch: Batch, submissions: list[Submission]) -> None:
    """Each probed bundle extracted alone here: its OCR time, wall and CPU (with Tesseract)."""
    from parsers.extract import extract_file

    print(f"\nOCR time of the probed bundles, read alone, one page at a time (load {load()})")
    for sub in submissions:
        path = batch.staging / sub.files[0]
        before, wall = _cpu_seconds(), time.perf_counter()
        extract_file(path)
        wall, cpu = time.perf_counter() - wall, _cpu_seconds() - before
        print(f"  {path.name:<22} wall {wall:5.1f} s   CPU {cpu:5.1f} s   target: wall + 3 s")


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_phase(
    batch: Batch, workers: int, sequential: list[Submission] | None, ocr_slots: int = 0
) -> float | None:
    with tempfile.TemporaryDirectory(prefix="ppid-bench-") as scratch:
        home = Path(scratch)
        system = System(home, workers, ocr_slots)
        inbox = home / "inbox"
        try:
            if sequential is not None:
                for sub in sequential:
                    time.sleep(3)  # the previous submission's flow runs have all ended
                    drop(batch, sub, inbox)
                    wait(system, [sub], inbox, timeout=300)
                said = f"{workers} worker(s)" if workers else "workers as `ppid run` starts them"
                latency_table(f"Latency, one submission at a time ({said})", sequential)
                stage_table(system, sequential, inbox)
                return None
            started, cpu_before = time.time(), system.cpu_seconds()
            for sub in batch.submissions:
                drop(batch, sub, inbox)
            wait(system, batch.submissions, inbox, timeout=1800)
            cpu = {part: used - cpu_before[part] for part, used in system.cpu_seconds().items()}
            ended = max(s.finished or time.time() for s in batch.submissions)
            files = sum(len(s.files) for s in batch.submissions)
            rate = files / ((ended - started) / 60)
            title = f"All {files} files at once, {workers} worker(s)"
            if ocr_slots:
                title += f", {ocr_slots} OCR slot(s): a file's pages read on {ocr_slots} cores"
            latency_table(title, batch.submissions)
            print(f"  throughput: {rate:.1f} files/min ({ended - started:.0f} s)")
            busy = sum(cpu.values()) / (time.time() - started)
            print(
                f"  CPU: workers {cpu['workers']:.0f} s, Prefect server {cpu['server']:.0f} s, "
                f"ppid run {cpu['run']:.0f} s; {busy:.2f} of {os.cpu_count()} cores busy"
            )
            print(f"  worker memory (RSS, MB): {', '.join(map(str, system.worker_memory_mb()))}")
            idle_table(system, started, ended)
            return rate
        finally:
            system.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--bundles", type=int, default=10)
    parser.add_argument("--lone-ktp", type=int, default=10)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--probes", type=int, default=3, help="one-at-a-time drops per kind")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the worker counts this many times, alternating (1, 2, 1, 2): the VM's speed "
        "drifts within minutes, so each round's ratio compares phases run side by side",
    )
    parser.add_argument(
        "--all-cores-baseline",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also one worker given an OCR slot per core (its pages read in parallel)",
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    with tempfile.TemporaryDirectory(prefix="ppid-bench-files-") as staging:
        batch = make_batch(Path(staging), args.pairs, args.bundles, args.lone_ktp, args.seed)
        files = sum(len(s.files) for s in batch.submissions)
        print(
            f"machine: {os.cpu_count()} cores; {files} files, {len(batch.submissions)} submissions"
        )
        probe = [s for s in batch.submissions if s.kind != "KTP alone"]
        picks = [s for s in probe if s.kind.startswith("digital")][: args.probes]
        picks += [s for s in probe if s.kind == "scanned bundle"][: args.probes]
        if picks:  # --probes 0: throughput only
            ocr_times(batch, [s for s in picks if s.kind == "scanned bundle"])
            run_phase(batch, 0, [Submission(s.kind, s.files) for s in picks])
        phases = [(workers, 0) for _ in range(args.rounds) for workers in args.workers]
        cores = os.cpu_count() or 1
        if args.all_cores_baseline and cores > 1:
            phases.append((1, cores))
        rates: dict[tuple[int, int], list[float]] = {}
        for workers, slots in phases:
            for sub in batch.submissions:
                sub.finished, sub.registered, sub.outcome = None, None, ""
            rate = run_phase(batch, workers, None, ocr_slots=slots)
            if rate:
                rates.setdefault((workers, slots), []).append(rate)
        print_speed_ups(rates)


def print_speed_ups(rates: dict[tuple[int, int], list[float]]) -> None:
    """Two workers over one, round by round: adjacent phases share the VM's speed of the moment."""
    twos, ones = rates.get((2, 0), []), rates.get((1, 0), [])
    for number, (one, two) in enumerate(zip(ones, twos, strict=False), start=1):
        round_name = f", round {number}" if len(twos) > 1 else ""
        print(
            f"\nspeed-up with two workers over one (one OCR slot each{round_name}): "
            f"{two / one:.2f}x"
        )
    for (workers, slots), measured in rates.items():
        if twos and workers == 1 and slots:
            print(
                f"\nspeed-up with two workers over one given {slots} OCR slots: "
                f"{statistics.median(twos) / measured[0]:.2f}x (median of the two-worker rounds)"
            )


if __name__ == "__main__":
    main()
