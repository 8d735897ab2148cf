"""Memory benchmark: peak RSS of a worker extracting one 50-page scanned bundle (target < 500 MB).

    .venv/bin/python bench/memory.py [--pages 50] [--quick]

The bundle is built from the corpus generator's `bundle` kind (`python -m tests.corpus.generate`:
forms, KTP photocopies and covering notes scanned at 200 dpi), its pages joined into one image
PDF. A child process reads it with `parsers.extract.extract_file` — what an intake flow run does
in its `extract` step — while this process samples the proportional set size (PSS: a page shared
by forked processes counted once) of the child and all its descendants (Tesseract, pdftoppm, any
pool workers) with psutil every 50 ms. Reported: the peak of that sum (what the worker costs the
machine) and the child's own peak RSS (VmHWM). (getrusage's
peak of the children is no use here: a child forked from a large process inherits its figure.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
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


def child(path: Path, max_seconds: float) -> dict[str, Any]:
    """Worker side: extract the bundle, report what was found and this process's peaks."""
    from parsers.extract import extract_file
    from parsers.model import ExtractionLimits

    started = time.perf_counter()
    result = extract_file(path, ExtractionLimits(max_seconds=max_seconds))
    seconds = time.perf_counter() - started
    own_kb = next(
        int(line.split()[1])
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmHWM:")
    )
    return {
        "seconds": seconds,
        "error": result.error,
        "documents": [d.document_type for d in result.documents],
        "own_mb": own_kb / 1024,
    }


def measure(path: Path, max_seconds: float) -> dict[str, Any]:
    """Run the child and sample its process tree's RSS until it exits."""
    import psutil

    command = [sys.executable, __file__, "--child", str(path), str(max_seconds)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
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
    if argv[:1] == ["--child"]:
        print(json.dumps(child(Path(argv[1]), float(argv[2]))))
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
    args = parser.parse_args(argv)
    if args.quick:
        args.pages = min(args.pages, 10)
    with tempfile.TemporaryDirectory(prefix="ppid-bench-memory-") as scratch:
        print(f"building a {args.pages}-page bundle ...", file=sys.stderr, flush=True)
        path, expected = build_bundle(Path(scratch), args.pages, args.seed)
        size = path.stat().st_size / 1e6
        result = measure(path, args.max_seconds)
    found = result["documents"]
    print(f"\nPeak memory of one worker extracting a {args.pages}-page bundle ({size:.1f} MB PDF)")
    print(machine())
    rows = [
        [
            str(args.pages),
            f"{result['tree_peak_mb']:.0f}",
            f"{result['own_mb']:.0f}",
            f"{result['seconds']:.0f}",
            f"{result['seconds'] / args.pages:.1f}",
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
        "documents found",
        f"< {TARGET_MB} MB",
    ]
    print(table(headers, rows))
    if result["error"]:
        print(f"extraction error: {result['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
