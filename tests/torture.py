"""Crash torture: SIGKILL workers and the Prefect server of a running `ppid run`, then check.

    python -m tests.torture [--files 100] [--kills 8] [--seed S] [--workers 1] [--restarts N]

Drops N mixed files (digital forms with a KTP scan in a folder per applicant, forms alone, an
exact duplicate, a broken PDF, and from 30 files on a scanned bundle) into a fresh home's inbox,
starts `ppid run`, and at random moments (seeded; the seed is printed) kills a worker process,
the Prefect server child, or the whole process group (a power cut). When the system does not
come back by itself it is restarted, as a service manager would. Then it is left to recover (the
scheduled sweep takes what the dead runs left behind) and the invariants are checked against the
database and the archive: every input archived with a case, pending with a reason, or
quarantined with a note; nothing left in the inbox; nothing registered twice; register numbers
gap-free; one receipt per case; every bag valid (`ppid archive verify`).

Black box on purpose: it only uses the `ppid` command, process ids, the database and the files,
so it holds whatever runs the flow runs inside `ppid run`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.specimens import SAMPLES, ppid_run_env

ROOT = Path(__file__).resolve().parent.parent
PPID = [sys.executable, "-m", "ppid"]
TERMINAL = {"done", "duplicate", "quarantined"}


@dataclass
class Input:
    """One dropped file: where it goes in the inbox, what it is, and what must become of it."""

    relative: str
    kind: str  # pair-form | pair-ktp | lone-form | duplicate | broken | bundle
    sha256: str = ""


# --- inputs ---------------------------------------------------------------------------------


def stage_inputs(folder: Path, count: int, seed: int) -> list[Input]:
    """Write `count` files under `folder` (mirroring the inbox layout) and describe them."""
    from ppid.core.files import sha256_file
    from ppid.core.settings import load_settings
    from ppid.output.forms import render_filled_form
    from tests.corpus.ktp import render_ktp
    from tests.corpus.people import make_objection, make_person

    settings = load_settings(home=folder / "_home")
    inputs: list[Input] = []

    def form_for(rng: random.Random, target: Path) -> object:
        person = make_person(rng, outside_province=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        values = {**make_objection(rng, person), "signed": False}
        render_filled_form(settings, values, target, fillable=True)
        return person

    extras = 0
    if count >= 4:
        (folder / "rusak-00.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<\n")  # truncated
        inputs.append(Input("rusak-00.pdf", "broken"))
        extras += 1
    if count >= 30:
        shutil.copy(SAMPLES / "bundle_000.tif", folder / "bundel-scan.tif")
        inputs.append(Input("bundel-scan.tif", "bundle"))
        extras += 1
    lone = max(1, count // 10)
    if (count - extras - lone - 1) % 2:
        lone += 1
    for index in range(lone):
        rng = random.Random(f"{seed}:lone:{index}")
        form_for(rng, folder / f"formulir-saja-{index:02d}.pdf")
        inputs.append(Input(f"formulir-saja-{index:02d}.pdf", "lone-form"))
    if count >= 3:
        (folder / "kirim-ulang").mkdir()
        shutil.copy(folder / "formulir-saja-00.pdf", folder / "kirim-ulang" / "formulir.pdf")
        inputs.append(Input("kirim-ulang/formulir.pdf", "duplicate"))
    pairs = max(0, (count - len(inputs)) // 2)
    for index in range(pairs):
        rng = random.Random(f"{seed}:pair:{index}")
        sub = f"pemohon-{index:03d}"
        person = form_for(rng, folder / sub / "formulir.pdf")
        image = render_ktp(person, dpi=300, seed=seed * 1000 + index)  # type: ignore[arg-type]
        image.convert("RGB").save(folder / sub / "ktp.jpg", quality=85)
        inputs += [Input(f"{sub}/formulir.pdf", "pair-form"), Input(f"{sub}/ktp.jpg", "pair-ktp")]
    for item in inputs:
        item.sha256 = sha256_file(folder / item.relative)
    shutil.rmtree(folder / "_home", ignore_errors=True)
    return inputs


def drop_all(staging: Path, inputs: list[Input], inbox: Path, rng: random.Random) -> None:
    """Copy beside the target, then rename into place, in a shuffled order (whole files only)."""
    for item in rng.sample(inputs, len(inputs)):
        target = inbox / item.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        shutil.copy(staging / item.relative, partial)
        partial.rename(target)


# --- the system under test -----------------------------------------------------------------


@dataclass
class System:
    """`ppid run` on one home, in its own process group so a power cut takes every child."""

    home: Path
    workers: int
    port: int
    process: subprocess.Popen[str] | None = None
    starts: int = 0
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.home / "torture-run.log"

    def env(self) -> dict[str, str]:
        return ppid_run_env(
            self.home,
            self.port,
            OMP_THREAD_LIMIT="1",
            PPID_INTAKE__WORKERS=str(self.workers),
            PPID_INTAKE__STABLE_SECONDS="1",
            PPID_INTAKE__SWEEP_MINUTES="0.25",  # the sweep takes over what dead runs left
            PPID_INTAKE__LEASE_MINUTES="2",
        )

    def start(self, timeout: float = 240) -> None:
        """Start `ppid run` and wait until it prints that it is ready."""
        self.starts += 1
        log = self.log_path.open("a")
        log.write(f"\n===== start {self.starts} at {time.strftime('%H:%M:%S')}\n")
        log.flush()
        self.process = subprocess.Popen(
            [*PPID, "run"],
            env=self.env(),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        ready = threading.Event()
        threading.Thread(target=self._pump, args=(log, ready), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not ready.wait(0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.power_cut()
                tail = self.log_path.read_text(errors="replace")[-1500:]
                raise TortureFailure(f"`ppid run` did not start (start {self.starts}):\n{tail}")

    def _pump(self, log: object, ready: threading.Event) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            log.write(line)  # type: ignore[attr-defined]
            log.flush()  # type: ignore[attr-defined]
            if "Ctrl-C" in line:
                ready.set()
        log.close()  # type: ignore[attr-defined]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tree(self) -> list[psutil.Process]:
        if not self.alive():
            return []
        assert self.process is not None
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def server(self) -> psutil.Process | None:
        """The Prefect server child (`prefect server start`)."""
        for proc in self.tree():
            with _gone_is_none():
                if "server" in proc.cmdline() and "start" in proc.cmdline():
                    return proc
        return None

    def workers_now(self) -> list[psutil.Process]:
        """Python processes below `ppid run` that are not the Prefect server: the flow runners."""
        server = self.server()
        skip = {server.pid} if server else set()
        if server is not None:
            with _gone_is_none():
                skip |= {p.pid for p in server.children(recursive=True)}
        found = []
        for proc in self.tree():
            with _gone_is_none():
                command = proc.cmdline()
                if proc.pid not in skip and command and "python" in os.path.basename(command[0]):
                    found.append(proc)
        return found

    def prefect_healthy(self) -> bool:
        url = f"http://127.0.0.1:{self.port + 1}/api/health"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def power_cut(self) -> None:
        """SIGKILL `ppid run` and everything below it (its group, and children in own sessions)."""
        if self.process is None:
            return
        below = self.tree()
        with _gone_is_none():
            os.killpg(self.process.pid, signal.SIGKILL)
        for proc in below:
            with _gone_is_none():
                proc.kill()
        self.process.wait(timeout=30)
        _wait_port_free(self.port + 1)

    def stop(self, timeout: float = 60) -> bool:
        """Ctrl-C; True when it stopped by itself, else it is killed (and False returned)."""
        if not self.alive():
            self.power_cut()  # children may outlive a dead parent
            return True
        assert self.process is not None
        below = self.tree()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.power_cut()
            return False
        for proc in below:  # anything left behind (nothing, normally)
            with _gone_is_none():
                proc.kill()
        self.power_cut()
        return True


class _gone_is_none:
    """`with _gone_is_none():` — a process that ended meanwhile is simply skipped."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, trace: object) -> bool:
        return isinstance(value, psutil.NoSuchProcess | psutil.AccessDenied | ProcessLookupError)


def _wait_port_free(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.2)


class TortureFailure(AssertionError):
    """An invariant did not hold (or the system never recovered)."""


# --- the kills ------------------------------------------------------------------------------


def plan_kills(rng: random.Random, kills: int, restarts: int | None = None) -> list[str]:
    """Which fault to inject each time: a worker kill, a server kill and a power cut at least.

    Killing the server or cutting the power costs a restart (tens of seconds); `restarts` caps
    them (the short form in `make test`), the other kills hit workers.
    """
    base = ["worker", "server", "power-cut"][:kills]
    rest = rng.choices(["worker", "server", "power-cut"], weights=[5, 3, 2], k=kills - len(base))
    plan = base + rest
    rng.shuffle(plan)
    if restarts is not None:
        costly = [i for i, fault in enumerate(plan) if fault != "worker"]
        costly.sort(key=lambda i: plan[i] != "server")  # a server kill is kept first
        for index in costly[max(1, restarts) :]:
            plan[index] = "worker"
    return plan


def inject(system: System, fault: str, rng: random.Random, grace: float = 20) -> str:
    """Inject one fault; return what happened (for the log). Restarts when needed."""
    if fault == "worker":
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if busy := system.workers_now():
                victim = rng.choice(busy)
                with _gone_is_none():
                    command = " ".join(victim.cmdline()[1:4])
                    victim.send_signal(signal.SIGKILL)
                    return f"SIGKILL worker pid {victim.pid} ({command})"
            time.sleep(0.2)
        fault = "server"  # nothing running to kill: take the server down instead
    if fault == "server":
        server = system.server()
        if server is None:
            return "no Prefect server found (already down)"
        with _gone_is_none():
            server.send_signal(signal.SIGKILL)
        note = f"SIGKILL Prefect server pid {server.pid}"
        return note + "; " + recover(system, grace)
    system.power_cut()
    system.start()
    return "power cut (SIGKILL process group); restarted"


def recover(system: System, grace: float) -> str:
    """After the server died: does `ppid run` heal or exit by itself? Else restart it."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not system.alive():
            system.power_cut()
            system.start()
            return "ppid run exited by itself; restarted"
        if system.server() is not None and system.prefect_healthy():
            return "ppid run restarted its Prefect server by itself"
        time.sleep(0.5)
    stopped = system.stop()
    system.start()
    how = "stopped on Ctrl-C" if stopped else "did not stop on Ctrl-C (killed)"
    return f"NOT RECOVERED by itself within {grace:.0f} s; {how}; restarted"


# --- waiting and checking -------------------------------------------------------------------


def ledger(home: Path) -> list[tuple[str, str]]:
    """(sha256, status) of every intake row, read without the product's code."""
    database = home / "var" / "ppid.sqlite3"
    if not database.exists():
        return []
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute("SELECT sha256, status FROM intake_files").fetchall()
    except sqlite3.OperationalError:
        return []  # not migrated yet, or busy: ask again
    finally:
        connection.close()


def inbox_files(inbox: Path) -> list[Path]:
    from ppid.intake.inbox import is_ignored, iter_inbox

    return [p for p in iter_inbox(inbox) if not is_ignored(p.relative_to(inbox))]


def wait_settled(system: System, inputs: list[Input], timeout: float) -> float:
    """Until the inbox is empty and every input's ledger row is final; returns seconds waited."""
    inbox = system.home / "inbox"
    expected = {item.sha256 for item in inputs}
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        rows = dict(ledger(system.home))
        settled = expected <= rows.keys() and all(rows[s] in TERMINAL for s in expected)
        if settled and not inbox_files(inbox):
            return time.monotonic() - started
        if not system.alive():
            system.power_cut()
            system.start()
        time.sleep(2)
    left = [str(p.relative_to(inbox)) for p in inbox_files(inbox)]
    rows = dict(ledger(system.home))
    open_rows = Counter(rows.get(s, "unclaimed") for s in expected if rows.get(s) not in TERMINAL)
    raise TortureFailure(
        f"not settled after {timeout:.0f} s: inbox still holds {left[:10]} ({len(left)}); "
        f"unfinished ledger rows {dict(open_rows)}; "
        f"see {system.log_path} and {system.home / 'var' / 'log'}"
    )


def _ocr_disagrees(archive: Path, rows: dict, submission_id: int) -> bool:
    """Whether a pair left pending is the reading's doing, not a crash's: read afresh, with
    nothing killed, its form and card NIKs still disagree (an OCR misread a person must check).
    """
    from parsers.extract import extract_file

    niks: dict[str, set[str | None]] = {"objection_form": set(), "id_card": set()}
    for row in rows.values():
        if row.submission_id != submission_id or not row.stored_path:
            continue
        for document in extract_file(archive / row.stored_path).documents:
            fields = document.fields
            if document.document_type == "objection_form":
                niks["objection_form"].add((fields.get("applicant") or {}).get("nik"))
            elif document.document_type == "id_card":
                niks["id_card"].add(fields.get("nik"))
    disagree = bool(niks["objection_form"]) and niks["objection_form"] != niks["id_card"]
    if disagree:
        print(f"  note: submission {submission_id} pending on an OCR disagreement {niks}")
    return disagree


def check_invariants(home: Path, inputs: list[Input]) -> dict[str, int]:
    """Every invariant of the torture, against the database and the files; raises on the first."""
    from sqlalchemy import select

    from ppid.core.files import sha256_file
    from ppid.core.models import Case, CaseDocument, IntakeFile, Submission
    from ppid.core.paths import case_slug
    from ppid.core.settings import load_settings
    from ppid.core.vocabulary import DocumentKind
    from ppid.intake.inbox import list_quarantine
    from ppid.intake.ledger import IntakeContext

    settings = load_settings(home=home)
    ctx = IntakeContext.open(settings)
    problems: list[str] = []
    with ctx.sessions() as session:
        rows = {row.sha256: row for row in session.scalars(select(IntakeFile))}
        cases = session.scalars(select(Case).order_by(Case.year, Case.seq)).all()
        submissions = {s.id: s for s in session.scalars(select(Submission))}
        originals = session.scalars(
            select(CaseDocument).where(CaseDocument.kind == DocumentKind.ORIGINAL)
        ).all()
        receipts = Counter(
            d.case_id
            for d in session.scalars(select(CaseDocument).where(CaseDocument.role == "receipt"))
        )
        quarantined = {sha256_file(p): reason for p, reason in list_quarantine(settings.quarantine)}
        for item in inputs:
            row = rows.get(item.sha256)
            if row is None:
                problems.append(f"{item.relative}: never claimed (lost)")
                continue
            if row.status == "quarantined":
                if not quarantined.get(item.sha256):
                    problems.append(f"{item.relative}: quarantined, but no file with a note")
                if item.kind != "broken":
                    problems.append(f"{item.relative} ({item.kind}) quarantined: {row.error}")
                continue
            if item.kind == "broken":
                problems.append(
                    f"{item.relative}: a broken PDF ended {row.status}, not quarantined"
                )
            stored = settings.archive / str(row.stored_path)
            if not stored.is_file() or sha256_file(stored) != item.sha256:
                problems.append(f"{item.relative}: archived copy missing or different ({stored})")
            submission = submissions.get(row.submission_id or -1)
            if submission is None:
                problems.append(f"{item.relative}: done but on no submission")
            elif submission.status == "pending" and not submission.reason:
                problems.append(f"{item.relative}: pending without a reason")
            elif (
                item.kind.startswith("pair")
                and submission.status != "registered"
                and not _ocr_disagrees(settings.archive, rows, submission.id)
            ):
                problems.append(f"{item.relative}: pair not registered ({submission.reason})")
    leftovers = inbox_files(settings.inbox)
    if leftovers:
        problems.append(f"left in the inbox: {[str(p) for p in leftovers]}")
    twice = [sha for sha, n in Counter(d.sha256 for d in originals).items() if n > 1]
    if twice:
        problems.append(f"registered twice (same SHA-256 on several cases): {twice}")
    registered = [s for s in submissions.values() if s.status == "registered"]
    if len(registered) != len(cases) or len({s.case_id for s in registered}) != len(cases):
        problems.append(f"{len(cases)} cases but {len(registered)} registered submissions")
    by_year: dict[int, list[int]] = {}
    for case in cases:
        by_year.setdefault(int(case.year or 0), []).append(int(case.seq or 0))
    for year, seqs in by_year.items():
        if seqs != list(range(1, len(seqs) + 1)):
            problems.append(f"register numbers of {year} not gap-free: {seqs}")
    for case in cases:
        if receipts[case.id] != 1:
            problems.append(f"{case.number}: {receipts[case.id]} receipts")
        if not (settings.archive / str(case.year) / case_slug(case) / "bagit.txt").is_file():
            problems.append(f"{case.number}: no BagIt bag")
    verify = subprocess.run(
        [*PPID, "archive", "verify"],
        env={**os.environ, "PPID_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if verify.returncode != 0:
        problems.append(f"`ppid archive verify` failed: {(verify.stdout + verify.stderr)[-800:]}")
    if problems:
        raise TortureFailure("invariants broken:\n  " + "\n  ".join(problems))
    return {
        "cases": len(cases),
        "pending": sum(s.status == "pending" for s in submissions.values()),
        "quarantined": sum(r.status == "quarantined" for r in rows.values()),
        "duplicates": len(inputs) - len({i.sha256 for i in inputs}),
        "bags": len(cases),
    }


# --- the run --------------------------------------------------------------------------------


def torture(
    home: Path,
    *,
    files: int,
    kills: int,
    seed: int,
    workers: int = 1,
    restarts: int | None = None,
    grace: float = 20,
    say: object = print,
) -> dict[str, int]:
    """The whole torture on `home` (fresh); returns the final counts, raises TortureFailure.

    `restarts` caps the kills that need a restart; `grace` is how long `ppid run` gets to heal
    by itself after its Prefect server died before the harness restarts it.
    """
    out = say if callable(say) else print
    rng = random.Random(seed)
    out(f"torture: seed {seed}, {files} files, {kills} kills, {workers} worker(s), home {home}")
    home.mkdir(parents=True, exist_ok=True)
    staging = home.parent / f"{home.name}-staging"
    staging.mkdir(parents=True, exist_ok=True)
    inputs = stage_inputs(staging, files, seed)
    out(f"  staged {len(inputs)} files: {dict(Counter(i.kind for i in inputs))}")
    system = System(home, workers, port=22000 + (os.getpid() * 7 + seed) % 9000)
    try:
        system.start()
        drop_all(staging, inputs, home / "inbox", rng)
        started = time.monotonic()
        for number, fault in enumerate(plan_kills(rng, kills, restarts), 1):
            time.sleep(rng.uniform(2, 12))
            done = sum(s in TERMINAL for _, s in ledger(home))
            what = inject(system, fault, rng, grace)
            out(f"  kill {number} at {time.monotonic() - started:.0f} s ({done} final): {what}")
        waited = wait_settled(system, inputs, timeout=300 + 20 * files)
        out(f"  settled {waited:.0f} s after the last kill; {system.starts} start(s) in all")
        stopped = system.stop()
        out(f"  stopped {'cleanly on Ctrl-C' if stopped else 'by SIGKILL (Ctrl-C hung)'}")
    finally:
        system.power_cut()
    counts = check_invariants(home, inputs)
    out(f"  invariants hold: {counts}")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--restarts", type=int, default=None, help="cap on restarting kills")
    parser.add_argument("--grace", type=float, default=20, help="seconds to heal by itself")
    parser.add_argument("--keep", action="store_true", help="keep the home for inspection")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    scratch = Path(tempfile.mkdtemp(prefix="ppid-torture-"))
    try:
        torture(
            scratch / "home",
            files=args.files,
            kills=args.kills,
            seed=seed,
            workers=args.workers,
            restarts=args.restarts,
            grace=args.grace,
        )
    except TortureFailure as failure:
        print(f"FAILED (seed {seed}; home kept: {scratch / 'home'}):\n{failure}", file=sys.stderr)
        return 1
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"OK (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
