"""Memory benchmark: peak RSS of a worker extracting one 50-page scanned bundle (target < 500 MB).

    .venv/bin/python bench/memory.py [--pages 50] [--quick] [--threads N]
        [--bundle FILE.pdf | --save-bundle FILE.pdf]

The bundle is built from the corpus generator's `bundle` kind (`python -m tests.corpus.generate`:
forms, KTP photocopies and covering notes scanned at 200 dpi), its pages joined into one image
PDF. A child process reads it with `parsers.extract.extract_file` — what an intake flow run does
in its `extract` step — while this process samples the proportional set size (PSS: a page shared
by forked processes counted once) of the child and all its descendants (Tesseract, pdftoppm, any
pool workers) with psutil every 50 ms. Reported: the peak of that sum (what the worker costs the
machine) and the child's own peak RSS (VmHWM). The child has a flow-run worker's environment
(`ppid.runtime.workers.WORKER_ENVIRONMENT`: glibc malloc tuning, one Tesseract thread). (getrusage's
peak of the children is no use here: a child forked from a large process inherits its figure.)

`--threads N` reads N pages at once, as an intake worker does when it holds N slots of the host's
OCR limit (`parsers.scan.page_threads`). Where the time goes is printed per page kind: seconds
drawing pages (pdftoppm), seconds reading them, and Tesseract runs per page (timed with threads
= 1 only). `--save-bundle` keeps the generated PDF and `--bundle` reads a kept one, so runs before
and after a change read the very same pages.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import machine, table

TARGET_MB = 500


def build_bundle(work: Path, pages: int, seed: int) -> tuple[Path, int]:
    """One image PDF of `pages` pages from generated bundles; returns (path, documents)."""
    from extract import page_images  # bench/extract.py: the raster pages inside an input file
    from PIL import Image

    from tests.corpus.generate import generate
    from tests.corpus.pages import save_pdf

    corpus = work / "corpus"
    records = generate(corpus, count=math.ceil(pages / 3), seed=seed, kinds=("bundle",))
    images: list[Image.Image] = []
    documents = 0
    for record in records:
        found = page_images(corpus / record["file"], work)
        images.extend(Image.open(p).convert("L") for p in found)
        documents += len(record["documents"])
        if len(images) >= pages:
            break
    images = images[:pages]
    path = work / f"bundle-{len(images)}-pages.pdf"
    save_pdf(images, path, 200)
    return path, documents


def child(path: Path, max_seconds: float, threads: int) -> dict[str, Any]:
    """Worker side: extract the bundle, report what was found and this process's peaks."""
    from parsers.extract import extract_file
    from parsers.model import ExtractionLimits
    from parsers.scan import page_threads

    profile = _Profile()
    started = time.perf_counter()
    with profile.watching(), page_threads(threads):
        result = extract_file(path, ExtractionLimits(max_seconds=max_seconds))
    seconds = time.perf_counter() - started
    cpu = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    own_peak = max([_peak_mb(), *(page["peak_mb"] for page in profile.pages)])
    return {
        "seconds": seconds,
        "error": result.error,
        "documents": [d.document_type for d in result.documents],
        "own_mb": own_peak,
        "cpu_seconds": cpu,
        "draw_seconds": profile.draw_seconds,
        "pages": profile.pages,
    }


class _Profile:
    """Where a file's time goes: pdftoppm drawing, and per page read its kind, seconds and
    Tesseract runs (text reads and orientation detections; exact when pages are read one at a
    time). Wraps the functions, changes nothing they do."""

    def __init__(self) -> None:
        self.draw_seconds = 0.0
        self.pages: list[dict[str, Any]] = []
        self._ocr = {"ocr": 0, "osd": 0}

    @contextlib.contextmanager
    def watching(self) -> Any:
        import pytesseract

        from parsers import raster, scan

        originals = (raster._pdftoppm, scan._read_page, pytesseract.image_to_data)
        osd = pytesseract.image_to_osd
        raster._pdftoppm = self._timed_draw(raster._pdftoppm)
        scan._read_page = self._timed_read(scan._read_page)
        pytesseract.image_to_data = self._counted("ocr", pytesseract.image_to_data)
        pytesseract.image_to_osd = self._counted("osd", osd)
        try:
            yield
        finally:
            raster._pdftoppm, scan._read_page, pytesseract.image_to_data = originals
            pytesseract.image_to_osd = osd

    def _timed_draw(self, draw: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return draw(*args, **kwargs)
            finally:
                self.draw_seconds += time.perf_counter() - started

        return timed

    def _timed_read(self, read: Any) -> Any:
        def timed(image: Any, number: int, *args: Any) -> Any:
            before, started = dict(self._ocr), time.perf_counter()
            _reset_peak()
            page = read(image, number, *args)
            self.pages.append(
                {
                    "number": number,
                    "kind": ("our form" if page.form else page.kind),
                    "seconds": time.perf_counter() - started,
                    "peak_mb": _peak_mb(),
                    **{k: self._ocr[k] - before[k] for k in self._ocr},
                }
            )
            return page

        return timed

    def _counted(self, key: str, run: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self._ocr[key] += 1
            return run(*args, **kwargs)

        return counted


def _reset_peak() -> None:
    """Start this process's peak RSS (VmHWM) afresh: per page peaks, with one page at a time."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def measure(path: Path, max_seconds: float, threads: int = 1) -> dict[str, Any]:
    """Run the child and sample its process tree's RSS until it exits."""
    import psutil

    from ppid.runtime.workers import worker_environment  # the child runs as an intake worker does

    command = [sys.executable, __file__, "--child", str(path), str(max_seconds), str(threads)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=worker_environment())
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        total = 0
        with_children = [root]
        try:
            with_children += root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        for proc in with_children:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                info = proc.memory_full_info()  # PSS: pages shared after fork counted once
                total += getattr(info, "pss", info.rss)
        peak = max(peak, total)
        time.sleep(0.05)
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"the extraction child failed with exit code {process.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["tree_peak_mb"] = peak / 1024 / 1024
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # as `make bench`: one core per Tesseract
    if argv[:1] == ["--child"]:
        print(json.dumps(child(Path(argv[1]), float(argv[2]), int(argv[3]))))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="a 10-page bundle")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=3600,
        help="extraction time limit for this run (the product's default is 300 s per file)",
    )
    parser.add_argument("--threads", type=int, default=1, help="pages read at once (default 1)")
    parser.add_argument("--bundle", type=Path, help="read this bundle PDF instead of building one")
    parser.add_argument("--save-bundle", type=Path, help="keep the built bundle PDF here")
    args = parser.parse_args(argv)
    if args.quick:
        args.pages = min(args.pages, 10)
    with tempfile.TemporaryDirectory(prefix="ppid-bench-memory-") as scratch:
        if args.bundle:
            path, expected = args.bundle, "?"
            args.pages = _page_count(path)
        else:
            print(f"building a {args.pages}-page bundle ...", file=sys.stderr, flush=True)
            path, expected = build_bundle(Path(scratch), args.pages, args.seed)
            if args.save_bundle:
                shutil.copyfile(path, args.save_bundle)
        size = path.stat().st_size / 1e6
        result = measure(path, args.max_seconds, args.threads)
    found = result["documents"]
    print(
        f"\nPeak memory of one worker extracting a {args.pages}-page bundle ({size:.1f} MB PDF), "
        f"{args.threads} page(s) at once"
    )
    print(machine())
    rows = [
        [
            str(args.pages),
            f"{result['tree_peak_mb']:.0f}",
            f"{result['own_mb']:.0f}",
            f"{result['seconds']:.0f}",
            f"{result['seconds'] / args.pages:.1f}",
            f"{result['cpu_seconds'] / args.pages:.1f}",
            f"{len(found)} (~{expected} made)",
            "yes" if result["tree_peak_mb"] < TARGET_MB else "NO",
        ]
    ]
    headers = [
        "pages",
        "peak MB (tree, PSS)",
        "worker MB",
        "seconds",
        "s/page",
        "CPU s/page",
        "documents found",
        f"< {TARGET_MB} MB",
    ]
    print(table(headers, rows))
    if result["error"]:
        print(f"extraction error: {result['error']}")
    print(f"\nWhere the time went: drawing pages (pdftoppm) {result['draw_seconds']:.0f} s")
    print(table(*_time_rows(result["pages"], timed=args.threads == 1)))
    return 0


def _time_rows(pages: list[dict[str, Any]], timed: bool) -> tuple[list[str], list[list[str]]]:
    """Per page kind: pages, reading seconds per page, Tesseract text reads and OSD per page."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        kinds.setdefault(page["kind"], []).append(page)
    rows = []
    for kind, group in sorted(kinds.items()):
        n = len(group)
        seconds = sum(p["seconds"] for p in group) / n
        rows.append(
            [
                kind,
                str(n),
                f"{seconds:.1f}" if timed else "-",
                f"{sum(p['ocr'] for p in group) / n:.1f}" if timed else "-",
                f"{sum(p['osd'] for p in group) / n:.1f}" if timed else "-",
                f"{max(p['peak_mb'] for p in group):.0f}" if timed else "-",
            ]
        )
    headers = ["page kind", "pages", "read s/page", "Tesseract reads/page", "OSD/page", "worker MB"]
    return headers, rows


def _page_count(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


if __name__ == "__main__":
    sys.exit(main())
