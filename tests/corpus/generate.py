"""Write a seeded synthetic corpus of every input kind plus `truth.jsonl`, the expected documents.

    python -m tests.corpus.generate OUT_DIR --count N --seed S [--families a b]
        [--kinds ktp_crop fax ...] [--small]

Each truth line: {"file", "kind", "family", "documents": [{"document_type", "pages", "fields"}],
"meta"}; fields follow parsers/model.py (nested `applicant`/`proxy`, NIK digits only, dates ISO)
and hold what the document prints (see README.md beside this file).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .families import FAMILIES, SPLITS, split_of
from .kinds import KINDS, Job
from .pages import CorpusError, Record, fields_on_pages

__all__ = [
    "FAMILIES",
    "KINDS",
    "SPLITS",
    "CorpusError",
    "fields_on_pages",
    "generate",
    "main",
    "read_truth",
    "split_of",
]


def item_rng(seed: int, kind: str, index: int, family: str = "a") -> random.Random:
    """One generator per file, so adding a kind, a family or a file never changes the others."""
    if family == "a":
        return random.Random(f"{seed}:{kind}:{index}")
    return random.Random(f"{seed}:{family}:{kind}:{index}")


def file_stem(family: str, kind: str, index: int) -> str:
    """`ktp_crop_003` for the first family, `b_ktp_crop_003` for the others."""
    stem = f"{kind}_{index:03d}"
    return stem if family == "a" else f"{family}_{stem}"


def generate(
    out_dir: Path,
    *,
    count: int,
    seed: int,
    kinds: tuple[str, ...] = KINDS,
    small: bool = False,
    families: tuple[str, ...] = ("a",),
    log: Callable[[str], None] = lambda _msg: None,
) -> list[Record]:
    """Write `count` files of each kind of each family into `out_dir` and `truth.jsonl`.

    Returns the truth records. A kind a family does not make is left out for that family.
    Kinds whose renderer is unavailable (our form before ppid.forms exists) are skipped with a
    message through `log`, so the rest of the corpus is still usable. `small` caps resolution
    and JPEG quality so the committed samples stay small.
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise CorpusError(f"unknown kind(s) {sorted(unknown)}; choose from {', '.join(KINDS)}")
    strangers = set(families) - set(FAMILIES)
    if strangers:
        raise CorpusError(
            f"unknown famil(ies) {sorted(strangers)}; choose from {', '.join(FAMILIES)}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    records: list[Record] = []
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        for family in families:
            makers = FAMILIES[family].makers
            for kind in [k for k in kinds if k in makers]:
                for index in range(count):
                    name = file_stem(family, kind, index)
                    job = Job(out=out_dir, name=name, work=Path(tmp), small=small)
                    try:
                        record = makers[kind](item_rng(seed, kind, index, family), job)
                    except CorpusError as exc:
                        log(f"skipped {job.name}: {exc}")
                        break
                    records.append({"kind": kind, "family": family, **record})
                    log(f"wrote {record['file']}")
    with (out_dir / "truth.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return records


def read_truth(out_dir: Path) -> list[Record]:
    """The records of `truth.jsonl` in `out_dir`."""
    lines = (out_dir / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus.generate", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=2, help="files per kind (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS, metavar="KIND")
    parser.add_argument(
        "--families",
        nargs="+",
        default=["a"],
        choices=list(FAMILIES),
        metavar="FAMILY",
        help=f"rendering families (default a); split: {SPLITS}",
    )
    parser.add_argument("--small", action="store_true", help="≤ 200 dpi, smaller photos")
    args = parser.parse_args(argv)
    try:
        generate(
            args.out_dir,
            count=args.count,
            seed=args.seed,
            kinds=tuple(args.kinds),
            small=args.small,
            families=tuple(args.families),
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
