"""Extraction benchmark: make the synthetic corpus, read it with `ppid extract --json`, score it.

    .venv/bin/python bench/extract.py [--split tuning|heldout|all] [--families a b c]
        [--kinds KIND ...] [--count 10] [--seed 1] [--jobs 2]

Scores exactly as the office's independent check does (bench/extract_scoring.py) and prints,
per kind and family with tuning and held-out side by side: all fields right, non-handwritten
fields right, NIK exact, document type found, silent errors (wrong, non-empty, confidence ≥ 0.7
or none) as a share of all fields, the share of fields at ≥ 0.9 that are right, the share of
wrong fields flagged below 0.7, seconds and CPU per page, and our CPU over one plain `tesseract`
run on the same pages (process start included on both sides). Then a reliability table on the
held-out split. The headline is the held-out figure.

Held-out files are generated into a temporary folder and deleted after scoring; the report and
bench/out/extract.json carry only their aggregates. Per-file failures are listed for the tuning
split only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from extract_report import print_report, table  # noqa: E402
from extract_scoring import FileScore, aggregate, reliability, score_file  # noqa: E402

from tests.corpus.generate import (  # noqa: E402
    FAMILIES,
    KINDS,
    SPLITS,
    generate,
    read_truth,
    split_of,
)

__all__ = ["main", "table"]

OUT = ROOT / "bench" / "out"
DIGITAL_KINDS = {"digital_acroform", "digital_text"}
Record = dict[str, Any]
SCORES = "_scores"  # a group's per-file scores, kept in memory, never written


# --- running `ppid extract --json` ------------------------------------------------------------


def children_usage() -> tuple[float, float]:
    """(CPU seconds, peak RSS in MB) of every child process reaped so far, their children too."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_extract(paths: list[Path], jobs: int) -> tuple[dict[str, Record], dict[str, float]]:
    """`ppid extract --json` over `paths`: each file's JSON by path, and wall/CPU/peak memory.

    The command's own process start is counted, as the office counts it. A file whose line is
    missing (the command died) gets an error result, so it is scored as unread.
    """
    command = [sys.executable, "-m", "ppid", "extract", "--json", "--jobs", str(jobs)]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    cpu_before, _ = children_usage()
    started = time.perf_counter()
    done = subprocess.run(
        [*command, *map(str, paths)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    cpu_after, peak = children_usage()
    results: dict[str, Record] = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            results[result["file"]] = result
    missing = [path for path in paths if str(path) not in results]
    if missing:  # the command died part-way: say so, and score those files as unread
        print(f"  ppid extract gave no result for {len(missing)} file(s):", file=sys.stderr)
        print("  " + done.stderr.strip()[-600:], file=sys.stderr)
    for path in missing:
        results[str(path)] = {"file": str(path), "documents": [], "error": done.stderr[-300:]}
    return results, {"wall": wall, "cpu": cpu_after - cpu_before, "peak_mb": peak}


# --- the plain-Tesseract baseline ----------------------------------------------------------------


def page_images(path: Path, work: Path) -> list[Path]:
    """The raster page images inside an input file, as the baseline Tesseract run reads them."""
    if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
        return [path]
    if path.suffix.lower() in (".tif", ".tiff"):
        from PIL import Image, ImageSequence

        out = []
        with Image.open(path) as img:
            for index, frame in enumerate(ImageSequence.Iterator(img)):
                page = work / f"{path.stem}-{index + 1}.png"
                frame.save(page)
                out.append(page)
        return out
    prefix = work / path.stem
    subprocess.run(["pdfimages", "-png", str(path), str(prefix)], check=True, timeout=120)
    return stamp_resolution(path, sorted(work.glob(f"{path.stem}-*.png")))


def stamp_resolution(pdf: Path, images: list[Path]) -> list[Path]:
    """Write each extracted image's resolution in the PDF into its file.

    pdfimages' files say 72 dpi whatever the scan's resolution; Tesseract believes them, judges
    300-dpi text four times too large and reads a fraction of the page, which would make the
    baseline cheap by reading less.
    """
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True, timeout=120
    ).stdout.splitlines()[2:]
    ppi = [round(float(row.split()[12])) for row in listing if len(row.split()) >= 14]
    from PIL import Image

    for image, resolution in zip(images, ppi, strict=False):
        with Image.open(image) as page:
            page.load()
            page.save(image, dpi=(resolution, resolution))
    return images


def tesseract_cpu(image: Path, work: Path) -> float:
    """CPU seconds of one plain full-page `tesseract` process, its start included."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    before, _ = children_usage()
    subprocess.run(
        ["tesseract", str(image), str(work / "baseline"), "--oem", "1", "-l", "ind+eng"],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    return children_usage()[0] - before


def baseline(paths: list[Path], limit: int) -> float | None:
    """Mean plain-Tesseract CPU per page over up to `limit` pages of these files."""
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        for path in paths:
            try:  # a loaded machine can starve pdfimages past its timeout: skip that file
                images = page_images(path, work)
            except subprocess.SubprocessError as err:
                print(f"  baseline skipped {path.name}: {err}", file=sys.stderr)
                continue
            for image in images[: max(0, limit - len(times))]:
                times.append(tesseract_cpu(image, work))
    return sum(times) / len(times) if times else None


# --- one group: a family's files of one kind -----------------------------------------------------


def pages_of(record: Record) -> int:
    return max((max(d["pages"]) for d in record["documents"] if d["pages"]), default=1)


def run_group(
    records: list[Record], corpus: Path, args: argparse.Namespace
) -> tuple[dict[str, Any], list[FileScore]]:
    """Extract, score and time one family's files of one kind."""
    paths = [corpus / r["file"] for r in records]
    results, run = run_extract(paths, args.jobs)
    scores = [score_file(r, results[str(p)]) for r, p in zip(records, paths, strict=True)]
    pages = sum(pages_of(r) for r in records)
    base = None
    if records[0]["kind"] not in DIGITAL_KINDS and args.baseline_pages:
        base = baseline(paths, args.baseline_pages)
    cpu_page = run["cpu"] / pages if pages else None
    summary = {
        **aggregate(scores),
        "pages": pages,
        "seconds_per_page": run["wall"] / pages if pages else None,
        "cpu_per_page": cpu_page,
        "peak_mb": run["peak_mb"],
        "tesseract_cpu_per_page": base,
        "cpu_ratio": cpu_page / base if cpu_page and base else None,
        "cpu": run["cpu"],
        "baseline_cpu": base * pages if base else None,
    }
    return summary, scores


def failures(records: list[Record], scores: list[FileScore]) -> list[Record]:
    """Per-file wrong fields (tuning split only)."""
    out = []
    for record, score in zip(records, scores, strict=True):
        wrong = [
            {"field": o.name, "want": o.want, "got": o.got, "confidence": o.confidence}
            for o in score.outcomes
            if not o.right
        ]
        if wrong or score.error:
            out.append(
                {
                    "file": record["file"],
                    "kind": record["kind"],
                    "error": score.error,
                    "wrong": wrong,
                }
            )
    return out


@contextmanager
def corpus_folder(family: str, args: argparse.Namespace) -> Iterator[Path]:
    """Tuning families live in bench/out/corpus-FAMILY; held-out ones only while scored."""
    if split_of(family) == "heldout":
        with tempfile.TemporaryDirectory(prefix="heldout-") as tmp:
            yield Path(tmp)
        return
    yield args.out / f"corpus-{family}"


def bench_family(family: str, args: argparse.Namespace) -> tuple[list[dict], list[Record]]:
    """Every selected kind of one family: group summaries (with their scores), tuning failures."""
    split = split_of(family)
    groups, failed = [], []
    with corpus_folder(family, args) as corpus:
        kinds = tuple(k for k in args.kinds if k in FAMILIES[family].makers)
        reuse = args.reuse and split == "tuning" and (corpus / "truth.jsonl").exists()
        if not reuse:
            print(f"generating family {family}: {args.count} per kind ...", file=sys.stderr)
            generate(
                corpus,
                count=args.count,
                seed=args.seed,
                kinds=kinds,
                families=(family,),
                log=lambda m: print(f"  {m}", file=sys.stderr) if "skipped" in m else None,
            )
        records = [r for r in read_truth(corpus) if r["kind"] in kinds]
        for kind in [k for k in KINDS if k in kinds]:
            chosen = [r for r in records if r["kind"] == kind]
            if not chosen:
                continue
            print(f"extracting {family}/{kind} ({len(chosen)} files) ...", file=sys.stderr)
            summary, scores = run_group(chosen, corpus, args)
            groups.append(
                {"split": split, "family": family, "kind": kind, **summary, SCORES: scores}
            )
            if split == "tuning":
                failed.extend(failures(chosen, scores))
    return groups, failed


def combine(groups: list[dict]) -> dict[str, Any]:
    """Totals over several groups: accuracy from the pooled fields, costs over all their pages."""
    pages = sum(g["pages"] for g in groups)
    with_base = [g for g in groups if g["baseline_cpu"]]
    base_cpu = sum(g["baseline_cpu"] for g in with_base)
    return {
        **aggregate(s for g in groups for s in g[SCORES]),
        "pages": pages,
        "cpu_per_page": sum(g["cpu"] for g in groups) / pages if pages else None,
        "seconds_per_page": (
            sum(g["seconds_per_page"] * g["pages"] for g in groups) / pages if pages else None
        ),
        "cpu_ratio": sum(g["cpu"] for g in with_base) / base_cpu if base_cpu else None,
    }


def build_report(
    groups: list[dict], failed: list[Record], args: argparse.Namespace, families: list[str]
) -> dict[str, Any]:
    """Groups, totals per (split, kind) and per split, reliability tables, tuning failures."""
    splits = [s for s in ("tuning", "heldout") if any(g["split"] == s for g in groups)]
    by_kind = {
        split: {
            kind: combine([g for g in groups if g["split"] == split and g["kind"] == kind])
            for kind in KINDS
            if any(g["split"] == split and g["kind"] == kind for g in groups)
        }
        for split in splits
    }
    totals = {split: combine([g for g in groups if g["split"] == split]) for split in splits}
    hand = {
        split: combine([g for g in groups if g["split"] == split and g["kind"] == "hand_scan"])
        for split in splits
    }
    reliability_tables = {
        split: reliability(
            o for g in groups if g["split"] == split for s in g[SCORES] for o in s.outcomes
        )
        for split in splits
    }
    return {
        "seed": args.seed,
        "count": args.count,
        "jobs": args.jobs,
        "families": families,
        "splits": {k: list(v) for k, v in SPLITS.items()},
        "groups": [{k: v for k, v in g.items() if k != SCORES} for g in groups],
        "by_kind": by_kind,
        "totals": totals,
        "handwritten": hand,
        "reliability": reliability_tables,
        "tuning_failures": failed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=("tuning", "heldout", "all"), default="all")
    parser.add_argument("--families", nargs="+", choices=list(FAMILIES), metavar="FAMILY")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS, metavar="KIND")
    parser.add_argument("--count", type=int, default=10, help="files per kind and family")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="parallel extraction processes")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--reuse", action="store_true", help="reuse bench/out/corpus-FAMILY (tuning families)"
    )
    parser.add_argument(
        "--baseline-pages",
        type=int,
        default=10_000,
        help="pages per kind and family for the plain-Tesseract baseline (default: all; 0: skip)",
    )
    args = parser.parse_args(argv)
    wanted = SPLITS["tuning"] + SPLITS["heldout"] if args.split == "all" else SPLITS[args.split]
    families = [f for f in (args.families or wanted) if f in wanted]
    if not families:
        parser.error(f"no family of split {args.split!r} among {args.families}; see {SPLITS}")
    args.out.mkdir(parents=True, exist_ok=True)
    groups, failed = [], []
    for family in families:
        more_groups, more_failed = bench_family(family, args)
        groups += more_groups
        failed += more_failed
    report = build_report(groups, failed, args, families)
    print_report(report)
    (args.out / "extract.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"\nwrote {args.out / 'extract.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
