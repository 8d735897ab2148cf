"""Load: ten simulated users browse the web app while a batch ingests; page times vs. idle.

    .venv/bin/python bench/load.py [--files 24] [--users 10] [--idle-seconds 60] [--workers 1]
    .venv/bin/python bench/load.py --files 200            # the full run

One `ppid run` on a fresh home. A few files are ingested first so there are cases to open.
Phase 1 (idle): the users browse for `--idle-seconds` with nothing ingesting. Phase 2 (load):
the rest of the batch is dropped at once and the same users browse until it has settled (or
`--max-seconds`). Each user is a thread with its own session, logged in as a different role
(petugas, bidang, atasan, arsiparis, admin, two of each), and opens its queue, the dashboard,
case pages and archive searches with a short think time. Printed: p50/p95 per page kind in each
phase, the load/idle ratio (measured in the same run, so the machine's own load mostly cancels),
the load average, and every failure (5xx, timeouts, refused connections): there must be none.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.torture import (  # noqa: E402
    TERMINAL,
    Input,
    System,
    drop_all,
    inbox_files,
    ledger,
    stage_inputs,
)

PASSWORD = "beban-uji-rahasia-1"
ROLES = ("petugas", "bidang", "atasan", "arsiparis", "admin")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
CASE_LINK = re.compile(r'href="/kasus/(\d+)"')
WORDS = ("koperasi", "informasi", "Pontianak", "anggaran", "laporan", "UMKM", "dana")


@dataclass
class Sample:
    phase: str
    page: str
    seconds: float
    status: int  # 0: no answer (timeout, refused)


@dataclass
class Recorder:
    phase: str = "idle"
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, page: str, seconds: float, status: int, detail: str = "") -> None:
        with self.lock:
            self.samples.append(Sample(self.phase, page, seconds, status))
            if status == 0 or status >= 500:
                self.errors.append(f"{self.phase} {page}: {status or detail}")


def add_users(home: Path) -> list[tuple[str, str]]:
    """Two accounts per role; cheap password hashing so logins do not dominate."""
    from ppid.core.db import open_db
    from ppid.core.settings import load_settings
    from ppid.web import auth

    auth.set_password_cost(1, 1024)
    users = [(f"{role}{n}", role) for n in (1, 2) for role in ROLES]
    with open_db(load_settings(home=home))() as session, session.begin():
        for username, role in users:
            auth.add_user(session, username, role, PASSWORD, f"Beban {role} {username[-1]}")
    return users


def browse(base: str, username: str, role: str, record: Recorder, stop: threading.Event) -> None:
    """One user: log in, then open pages their role may see until told to stop."""
    rng = random.Random(username)
    with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
        token = CSRF.search(client.get("/masuk").text)
        data = {"username": username, "password": PASSWORD, "lanjut": "/"}
        login = client.post("/masuk", data={**data, "csrf": token.group(1) if token else ""})
        if login.status_code != 303:
            record.errors.append(f"login of {username} failed: {login.status_code}")
            return
        cases: list[str] = []
        pages = ["/dasbor", "/arsip", "search", "case"]
        if role != "arsiparis":
            pages.append("/tugas")
        while not stop.is_set():
            kind = rng.choice(pages)
            if kind == "case" and not cases:
                kind = "/arsip"  # no case link seen yet: the archive lists them
            if kind == "search":
                url = f"/arsip?q={rng.choice(WORDS)}"
            elif kind == "case":
                url = f"/kasus/{rng.choice(cases)}"
            else:
                url = kind
            started = time.perf_counter()
            try:
                response = client.get(url)
            except httpx.HTTPError as error:
                record.add(kind, time.perf_counter() - started, 0, type(error).__name__)
                continue
            record.add(kind, time.perf_counter() - started, response.status_code)
            if kind in ("/arsip", "search", "/tugas"):
                found = CASE_LINK.findall(response.text)
                cases = sorted(set(cases) | set(found))[-50:]
            stop.wait(rng.uniform(0.3, 1.5))  # think time


def settled(system: System, inputs: list[Input]) -> bool:
    rows = dict(ledger(system.home))
    done = all(rows.get(item.sha256) in TERMINAL for item in inputs)
    return done and not inbox_files(system.home / "inbox")


def wait_for(system: System, inputs: list[Input], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if settled(system, inputs):
            return True
        time.sleep(1)
    return False


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(record: Recorder, loads: dict[str, float]) -> None:
    kinds = sorted({s.page for s in record.samples})
    header = f"{'idle p50':>10}{'p95':>8}{'load p50':>10}{'p95':>8}{'ratio p50/p95':>16}"
    print(f"\n  {'page':<10}{header}")
    for kind in [*kinds, "all"]:
        row = []
        for phase in ("idle", "load"):
            times = [
                s.seconds
                for s in record.samples
                if s.phase == phase and (kind == "all" or s.page == kind) and s.status
            ]
            row.append((statistics.median(times), percentile(times, 0.95)) if times else None)
        if None in row:
            continue
        (i50, i95), (l50, l95) = row  # type: ignore[misc]
        print(
            f"  {kind:<10}{i50 * 1000:>9.0f}ms{i95 * 1000:>6.0f}ms{l50 * 1000:>8.0f}ms"
            f"{l95 * 1000:>6.0f}ms{l50 / i50:>9.2f}x /{l95 / i95:>5.2f}x"
        )
    for phase in ("idle", "load"):
        mine = [s for s in record.samples if s.phase == phase]
        if not mine:
            continue
        codes: dict[int, int] = {}
        for sample in mine:
            codes[sample.status] = codes.get(sample.status, 0) + 1
        print(f"  {phase}: {len(mine)} requests, status codes {codes}, load avg {loads[phase]:.2f}")
    print(f"  failures (5xx, no answer): {len(record.errors)}")
    for line in record.errors[:20]:
        print(f"    {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24, help="the batch (the full run: 200)")
    parser.add_argument("--seed-files", type=int, default=6, help="ingested before the idle phase")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--max-seconds", type=float, default=1800, help="cap on the load phase")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="ppid-load-") as scratch:
        home, staging = Path(scratch) / "home", Path(scratch) / "staging"
        home.mkdir()
        staging.mkdir()
        inputs = stage_inputs(staging, args.files, args.seed)
        first = [i for i in inputs if i.relative.startswith("pemohon-")][: args.seed_files]
        rest = [i for i in inputs if i not in first]
        users = add_users(home)
        system = System(home, args.workers, port=24000 + os.getpid() % 5000)
        print(f"machine: {os.cpu_count()} cores; {len(inputs)} files; {len(users)} users")
        try:
            system.start()
            drop_all(staging, first, home / "inbox", rng)
            if not wait_for(system, first, 900):
                print("the seed files did not settle in 15 min")
                return 1
            base = f"http://127.0.0.1:{system.port}"
            record, stop = Recorder(), threading.Event()
            threads = [
                threading.Thread(target=browse, args=(base, name, role, record, stop), daemon=True)
                for name, role in users[: args.users]
            ]
            record.phase = "warm-up"  # first visits fill caches (search index, templates)
            for thread in threads:
                thread.start()
            time.sleep(10)
            record.phase = "idle"
            time.sleep(args.idle_seconds)
            loads = {"idle": os.getloadavg()[0]}
            record.phase = "load"
            started = time.monotonic()
            drop_all(staging, rest, home / "inbox", rng)
            finished = wait_for(system, inputs, args.max_seconds)
            took = time.monotonic() - started
            loads["load"] = os.getloadavg()[0]
            stop.set()
            for thread in threads:
                thread.join(timeout=70)
            state = "settled" if finished else f"NOT settled (cap {args.max_seconds:.0f} s)"
            rate = len(rest) / (took / 60)
            print(f"batch of {len(rest)} files {state} in {took:.0f} s ({rate:.1f} files/min)")
            report(record, loads)
            return 1 if record.errors or not finished else 0
        finally:
            system.stop()


if __name__ == "__main__":
    sys.exit(main())
