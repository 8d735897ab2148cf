"""The scale-out rehearsal's files: a mixed batch made once, dropped whole into each inbox.

Half in form + KTP folders, a fifth scanned bundles, the rest scanned forms alone and KTPs
alone (the last two stay pending with a reason). Part of scripts/scale_test.py.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _intake_batch import make_batch  # noqa: E402  (bench/: the intake benchmark's files)

from tests.corpus.generate import generate  # noqa: E402


@dataclass
class Dropped:
    relative: Path
    kind: str
    group: str  # files of one folder form one submission
    sha256: str = ""


def mix(total: int) -> dict[str, int]:
    """How many of each: half in form + KTP folders, a fifth bundles, the rest lone pieces."""
    pairs = max(1, round(total * 0.25))
    bundles = max(1, round(total * 0.2))
    scans = max(1, round(total * 0.15))
    lone = max(0, total - 2 * pairs - bundles - scans)
    return {"pairs": pairs, "bundles": bundles, "scans": scans, "lone": lone}


def make_files(staging: Path, total: int, seed: int) -> list[Dropped]:
    counts = mix(total)
    batch = make_batch(staging, counts["pairs"], counts["bundles"], counts["lone"], seed)
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
