"""Write a seeded synthetic corpus of every input kind plus `truth.jsonl`, the expected documents.

    python -m tests.corpus.generate OUT_DIR --count N --seed S [--kinds ktp_crop fax ...] [--small]

Each truth line: {"file", "kind", "documents": [{"document_type", "pages", "fields"}], "meta"};
fields follow parsers/model.py (nested `applicant`/`proxy`, NIK digits only, dates ISO).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .kinds import KINDS, MAKERS, Job
from .pages import CorpusError, Record, fields_on_pages

__all__ = ["KINDS", "CorpusError", "fields_on_pages", "generate", "main", "read_truth"]


def item_rng(seed: int, kind: str, index: int) -> random.Random:
    """One generator per file, so adding a kind or a file never changes the others."""
    return random.Random(f"{seed}:{kind}:{index}")


def generate(
    out_dir: Path,
    *,
    count: int,
    seed: int,
    kinds: tuple[str, ...] = KINDS,
    small: bool = False,
    log: Callable[[str], None] = lambda _msg: None,
) -> list[Record]:
    """Write `count` files of each kind into `out_dir` and `truth.jsonl`; return the truth records.

    Kinds whose renderer is unavailable (our form before ppid.forms exists) are skipped with a
    message through `log`, so the rest of the corpus is still usable. `small` caps resolution
    and JPEG quality so the committed samples stay small.
    """
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise CorpusError(f"unknown kind(s) {sorted(unknown)}; choose from {', '.join(KINDS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    records: list[Record] = []
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        for kind in kinds:
            for index in range(count):
                job = Job(out=out_dir, name=f"{kind}_{index:03d}", work=Path(tmp), small=small)
                try:
                    record = MAKERS[kind](item_rng(seed, kind, index), job)
                except CorpusError as exc:
                    log(f"skipped {job.name}: {exc}")
                    break
                records.append({"kind": kind, **record})
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
    parser.add_argument("--small", action="store_true", help="≤ 200 dpi, smaller photos")
    args = parser.parse_args(argv)
    try:
        generate(
            args.out_dir,
            count=args.count,
            seed=args.seed,
            kinds=tuple(args.kinds),
            small=args.small,
            log=lambda msg: print(msg, file=sys.stderr),
        )
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
