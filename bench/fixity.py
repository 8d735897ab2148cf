"""Fixity benchmark: verify a generated archive of BagIt bags the way `ppid archive verify` does.

    .venv/bin/python bench/fixity.py [--bags 100] [--quick] [--index-cases 300,2000]

Each bag has the payload of a typical case — the original scans (a multi-page scan of 1–4 MB, a
KTP photo of ~300 kB, incompressible like JPEG), the receipt and numbered form (~60 and ~150 kB)
and the metadata files — with SHA-256 and SHA-512 manifests written by `ppid.archive.write_tags`.
`ppid.archive.check_fixity` (the command's code path: every bag validated by the `bagit` package,
both algorithms) is timed twice: with the bags' pages dropped from the page cache first (read
from disk; only this benchmark's files are evicted, with posix_fadvise) and then again warm.

It also times the offline index (`archive/index.html`, rewritten after every case's bag is
updated) over registers of --index-cases cases, each with its bag folder.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, table

from ppid.archive.bags import write_tags
from ppid.archive.fixity import check_fixity
from ppid.archive.index import refresh_index
from ppid.core.db import open_db
from ppid.core.models import Case, utcnow
from ppid.core.paths import case_slug
from ppid.core.settings import load_settings


def payload(rng: random.Random) -> dict[str, int]:
    """File name in the bag → size in bytes, for one case."""
    return {
        "data/originals/01-scan.pdf": rng.randint(1_000_000, 4_000_000),
        "data/originals/02-ktp.jpg": rng.randint(200_000, 400_000),
        "data/outputs/01-tanda-terima.pdf": rng.randint(50_000, 70_000),
        "data/outputs/02-salinan-formulir.pdf": rng.randint(120_000, 180_000),
        "data/metadata/case.json": rng.randint(2_000, 4_000),
        "data/metadata/dc.xml": rng.randint(1_000, 2_000),
        "data/metadata/events.json": rng.randint(1_000, 3_000),
    }


def make_archive(archive: Path, bags: int, seed: int) -> int:
    """Write `bags` bags under archive/2026/; returns the payload bytes."""
    rng = random.Random(seed)
    total = 0
    for index in range(1, bags + 1):
        bag = archive / "2026" / f"{index:03d}-KEB-PPID-DKUKM-XI-2026"
        for name, size in payload(rng).items():
            path = bag / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(rng.randbytes(size))
            total += size
        write_tags(bag, {"External-Identifier": f"{index:03d}/KEB/PPID-DKUKM/XI/2026"})
    return total


def evict(folder: Path) -> None:
    """Drop this folder's files from the page cache (after writing them back), nothing else."""
    os.sync()
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def index_seconds(cases: int) -> float:
    """Seconds to write archive/index.html over `cases` registered cases with a bag each."""
    with tempfile.TemporaryDirectory(prefix="ppid-bench-index-") as scratch:
        settings = load_settings(home=Path(scratch))
        sessions = open_db(settings)
        assert settings.archive is not None
        with sessions() as session, session.begin():
            for seq in range(1, cases + 1):
                case = Case(
                    number=f"{seq:03d}/KEB/PPID-DKUKM/XI/2026",
                    year=2026,
                    seq=seq,
                    received_at=utcnow(),
                    applicant_name=f"Pemohon {seq}",
                    applicant_nik=f"6171{seq:012d}",
                )
                session.add(case)
                bag = settings.archive / "2026" / case_slug(case)
                bag.mkdir(parents=True)
                (bag / "bag-info.txt").write_text(f"External-Identifier: {case.number}\n")
        refresh_index(settings, sessions)  # warm: templates compiled, tables cached
        started = time.perf_counter()
        refresh_index(settings, sessions)
        return time.perf_counter() - started


def verify(settings: object, sessions: object) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, bags) of one `check_fixity` over the whole archive."""
    wall, cpu = time.perf_counter(), time.process_time()
    results = check_fixity(settings, sessions)
    bad = [r for r in results if not r.ok]
    if bad:
        raise SystemExit(f"generated bag failed validation: {bad[0].bag}: {bad[0].problems[:3]}")
    return time.perf_counter() - wall, time.process_time() - cpu, len(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bags", type=int, default=100, help="bags (cases) to generate")
    parser.add_argument("--quick", action="store_true", help="20 bags")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--index-cases", default="300,2000", help="register sizes for the index")
    args = parser.parse_args(argv)
    if args.quick:
        args.bags = min(args.bags, 20)
    rows = []
    with tempfile.TemporaryDirectory(prefix="ppid-bench-fixity-") as scratch:
        settings = load_settings(home=Path(scratch))
        sessions = open_db(settings)
        assert settings.archive is not None
        print(f"writing {args.bags} bags ...", file=sys.stderr, flush=True)
        size = make_archive(settings.archive, args.bags, args.seed)
        megabytes = size / 1e6
        evict(settings.archive)
        for label in ("cold (from disk)", "warm (page cache)"):
            wall, cpu, bags = verify(settings, sessions)
            rows.append(
                [
                    label,
                    str(bags),
                    f"{megabytes:.0f}",
                    f"{wall:.2f}",
                    f"{megabytes / wall:.1f}",
                    f"{megabytes / cpu:.1f}" if cpu else "-",
                    f"{bags / wall:.1f}",
                ]
            )
    print(
        f"\nFixity verification (ppid archive verify: SHA-256 + SHA-512, bagit) of {args.bags} bags"
    )
    print(machine())
    headers = ["page cache", "bags", "MB", "seconds", "MB/s", "MB per CPU-s", "bags/s"]
    print(table(headers, rows))
    sizes = [int(n) for n in args.index_cases.split(",") if n]
    index_rows = [[str(n), f"{index_seconds(n):.2f}"] for n in sizes]
    print("\nThe offline index (archive/index.html), written after each case's bag is updated")
    print(table(["cases", "seconds"], index_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
