"""The intake benchmark's files: digital forms with a KTP photo, scanned bundles, KTPs alone.

Made from the corpus's invented people (no real person), for bench/intake.py and the scale-out
rehearsal (scripts/scale_test.py) alike.
"""

from __future__ import annotations

import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ppid.core.settings import load_settings  # noqa: E402
from ppid.output.forms import render_filled_form  # noqa: E402
from tests.corpus.generate import generate  # noqa: E402
from tests.corpus.ktp import render_ktp  # noqa: E402
from tests.corpus.people import make_objection, make_person  # noqa: E402


@dataclass
class Submission:
    kind: str
    files: list[Path]  # relative to the staging folder
    dropped: float = 0.0
    finished: float | None = None
    registered: float | None = None
    outcome: str = ""


@dataclass
class Batch:
    staging: Path
    submissions: list[Submission] = field(default_factory=list)


def make_batch(folder: Path, pairs: int, bundles: int, lone: int, seed: int) -> Batch:
    """Digital form + KTP pairs (one folder each), scanned bundles, KTPs alone (stay pending)."""
    batch = Batch(folder)
    settings = load_settings(home=folder)
    for index in range(pairs):
        rng = random.Random(f"{seed}:pair:{index}")
        person = make_person(rng, outside_province=False)
        values = {**make_objection(rng, person), "signed": False}
        sub = folder / f"pemohon-{index:02d}"
        sub.mkdir(parents=True)
        render_filled_form(settings, values, sub / "formulir.pdf", fillable=True)
        render_ktp(person, dpi=300, seed=index).convert("RGB").save(sub / "ktp.jpg", quality=85)
        batch.submissions.append(
            Submission(
                "digital form + KTP",
                [sub.relative_to(folder) / n for n in ("formulir.pdf", "ktp.jpg")],
            )
        )
    if bundles:
        generated = folder / "_bundles"
        generate(generated, count=bundles, seed=seed, kinds=["bundle"])
        for path in sorted(generated.glob("bundle_*")):
            target = folder / path.name
            shutil.move(path, target)
            batch.submissions.append(Submission("scanned bundle", [target.relative_to(folder)]))
        shutil.rmtree(generated)
    for index in range(lone):
        rng = random.Random(f"{seed}:lone:{index}")
        path = folder / f"ktp-saja-{index:02d}.jpg"
        render_ktp(make_person(rng), dpi=300, seed=1000 + index).convert("RGB").save(
            path, quality=85
        )
        batch.submissions.append(Submission("KTP alone", [path.relative_to(folder)]))
    return batch
