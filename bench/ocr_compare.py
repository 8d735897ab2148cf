"""OCR side by side on the same scans: our extraction vs plain `tesseract` vs `ocrmypdf`.

    .venv/bin/python bench/ocr_compare.py [--count 2] [--kinds typed_scan fax ...] [--quick]

The scans come from the corpus generator (seeded, with ground truth). Per kind, three readers:

- ours: `ppid extract --json` in a child process (bench/extract.py's runner), fields out;
- the floor: one plain `tesseract --oem 1 -l ind+eng` per page image (bench/extract.py's helper);
- `ocrmypdf -l ind+eng --rotate-pages --deskew --force-ocr --output-type pdf -j 1 --sidecar`:
  what someone would otherwise run to make the scans searchable (no Ghostscript needed for
  `--output-type pdf`).

Time is wall and CPU seconds per page (CPU counts Tesseract and every other child). Accuracy is
field-word recall: of the words of the truth's field values (names, NIKs, addresses, request
numbers, purposes, case descriptions …), the share found in the reader's output — its fields for
ours, the page text for the other two. Ours also gets the share of fields exactly right, which
page text cannot give. OMP_THREAD_LIMIT=1 for everything.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import machine, table
from extract import page_images, run_extract, stamp_resolution, tesseract_cpu
from extract_scoring import score_file

from tests.corpus.generate import generate
from tests.corpus.people import flatten

SCAN_KINDS = ("typed_scan", "hand_scan", "fax", "foreign_scan", "ktp_photocopy", "bundle")
OCRMYPDF = Path(sys.executable).with_name("ocrmypdf")
SKIP_FIELDS = {"signed", "date", "response_date", "birth_date", "valid_until", "reasons"}
_WORD = re.compile(r"\w+", re.UNICODE)
ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}


def words(text: str) -> Counter[str]:
    return Counter(w.casefold() for w in _WORD.findall(text) if len(w) > 1)


def truth_words(record: dict[str, Any]) -> Counter[str]:
    """The words of every field value in the truth (dates, ticks and flags left out)."""
    total: Counter[str] = Counter()
    for document in record["documents"]:
        for name, value in flatten(document["fields"]).items():
            if isinstance(value, str) and name.rsplit(".", 1)[-1] not in SKIP_FIELDS:
                total += words(value)
    return total


def recall(want: Counter[str], got: Counter[str]) -> tuple[int, int]:
    """(words found, words wanted), each truth word counted as often as it occurs."""
    return sum((want & got).values()), sum(want.values())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def ours(paths: list[Path], work: Path) -> tuple[dict[str, float], list[dict[str, Any]]]:
    results, run = run_extract(paths, 1)
    return run, [results[str(path)] for path in paths]


def our_words(result: dict[str, Any]) -> Counter[str]:
    total: Counter[str] = Counter()
    for document in result.get("documents") or []:
        for value in flatten(document.get("fields") or {}).values():
            if isinstance(value, str):
                total += words(value)
    return total


def scan_pages(path: Path, work: Path) -> list[Path]:
    """The page images of a scan. PDFs: `pdfimages -tiff` (no PNG compression: several times
    faster on 400-dpi colour pages than bench/extract.py's `-png`, which can pass its 120 s
    timeout on a loaded machine); other files as bench/extract.py gives them."""
    if path.suffix.lower() != ".pdf":
        return page_images(path, work)
    prefix = work / f"{path.stem}-page"
    subprocess.run(["pdfimages", "-tiff", str(path), str(prefix)], check=True, timeout=1800)
    return stamp_resolution(path, sorted(work.glob(f"{prefix.name}-*.tif")))


def floor(path: Path, work: Path) -> tuple[float, float, str]:
    """Plain Tesseract on every page image: (wall, CPU, text)."""
    started, texts, cpu = time.perf_counter(), [], 0.0
    for image in scan_pages(path, work):
        cpu += tesseract_cpu(image, work)
        texts.append((work / "baseline.txt").read_text(errors="replace"))
    return time.perf_counter() - started, cpu, "\n".join(texts)


def ocrmypdf(path: Path, work: Path) -> tuple[float, float, str, str | None]:
    """ocrmypdf on the file as it came: (wall, CPU, sidecar text, error)."""
    sidecar, out = work / f"{path.stem}.txt", work / f"{path.stem}-ocr.pdf"
    command = [str(OCRMYPDF), "-l", "ind+eng", "--rotate-pages", "--deskew", "--force-ocr"]
    command += ["--output-type", "pdf", "-j", "1", "--sidecar", str(sidecar), "-q"]
    if path.suffix.lower() in (".jpg", ".jpeg", ".png"):
        command += ["--image-dpi", "300"]  # a bare photo/scan may carry no resolution
    before, started = children_cpu(), time.perf_counter()
    done = subprocess.run(
        [*command, str(path), str(out)], env=ENV, capture_output=True, text=True, check=False
    )
    wall, cpu = time.perf_counter() - started, children_cpu() - before
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["?"])[-1]
        return wall, cpu, "", f"exit {done.returncode}: {reason}"
    return wall, cpu, sidecar.read_text(errors="replace"), None


def pages_of(record: dict[str, Any]) -> int:
    return max((max(d["pages"]) for d in record["documents"] if d["pages"]), default=1)


def compare(kind: str, records: list[dict[str, Any]], corpus: Path, work: Path) -> list[list[str]]:
    paths = [corpus / r["file"] for r in records]
    pages = sum(pages_of(r) for r in records)
    run, results = ours(paths, work)
    found = wanted = right = fields = 0
    for record, result in zip(records, results, strict=True):
        hit, total = recall(truth_words(record), our_words(result))
        found, wanted = found + hit, wanted + total
        scored = score_file(record, result).outcomes
        right, fields = right + sum(o.right for o in scored), fields + len(scored)
    rows = [_row(kind, "ours (parsers.extract)", pages, run["wall"], run["cpu"], found, wanted)]
    rows[-1].append(f"{100 * right / fields:.1f}%" if fields else "-")
    wall = cpu = 0.0
    found = wanted = 0
    for record, path in zip(records, paths, strict=True):
        seconds, used, text = floor(path, work)
        wall, cpu = wall + seconds, cpu + used
        hit, total = recall(truth_words(record), words(text))
        found, wanted = found + hit, wanted + total
    rows.append([*_row("", "plain tesseract per page", pages, wall, cpu, found, wanted), "-"])
    wall = cpu = 0.0
    found = wanted = 0
    errors = []
    for record, path in zip(records, paths, strict=True):
        seconds, used, text, error = ocrmypdf(path, work)
        wall, cpu = wall + seconds, cpu + used
        if error:
            errors.append(f"{path.name}: {error}")
        hit, total = recall(truth_words(record), words(text))
        found, wanted = found + hit, wanted + total
    rows.append([*_row("", "ocrmypdf", pages, wall, cpu, found, wanted), "-"])
    for error in errors:
        print(f"  ocrmypdf failed on {error}", file=sys.stderr)
    return rows


def _row(kind: str, reader: str, pages: int, wall: float, cpu: float, hit: int, total: int) -> list:
    return [
        kind,
        reader,
        str(pages),
        f"{wall / pages:.2f}",
        f"{cpu / pages:.2f}",
        f"{100 * hit / total:.1f}%" if total else "-",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2, help="files per kind (default 2)")
    parser.add_argument("--kinds", nargs="+", default=list(SCAN_KINDS), choices=SCAN_KINDS)
    parser.add_argument("--quick", action="store_true", help="1 file each of 3 kinds")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args(argv)
    if args.quick:
        args.count = 1
        args.kinds = [k for k in args.kinds if k in ("typed_scan", "fax", "bundle")]
    if not OCRMYPDF.exists():
        raise SystemExit(f"{OCRMYPDF} is missing; run `make setup`")
    rows = []
    with tempfile.TemporaryDirectory(prefix="ppid-bench-ocr-") as scratch:
        work = Path(scratch)
        corpus = work / "corpus"
        print(f"generating {args.count} per kind ...", file=sys.stderr, flush=True)
        records = generate(corpus, count=args.count, seed=args.seed, kinds=tuple(args.kinds))
        for kind in args.kinds:
            print(f"reading {kind} three ways ...", file=sys.stderr, flush=True)
            rows += compare(kind, [r for r in records if r["kind"] == kind], corpus, work)
    print(f"\nOCR side by side, {args.count} file(s) per kind, the same scans for all three")
    print(machine())
    headers = ["kind", "reader", "pages", "wall s/page", "CPU s/page", "field words", "fields"]
    print(table(headers, rows))
    print(
        "\nfield words: share of the words of the true field values found in the output "
        "(ours: its fields; others: the page text). fields: exactly right (ours only)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
