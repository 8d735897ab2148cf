"""Extraction benchmark: generate a synthetic corpus, read it with parsers.extract, score per kind.

    .venv/bin/python bench/extract.py [--count 10] [--seed 1] [--jobs 2] [--kinds KIND ...]

Prints per input kind: field accuracy, NIK exact-match rate, document-type accuracy, seconds and
CPU per page, peak memory, the share of wrong fields flagged (confidence < 0.7), and the OCR cost
ratio (our CPU per page over one plain full-page `tesseract --oem 1 -l ind+eng` on the same
pages); then a calibration table. Everything also goes to bench/out/extract.json.
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
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS  # noqa: E402
from tests.corpus.generate import KINDS, generate, read_truth  # noqa: E402
from tests.corpus.people import flatten  # noqa: E402

OUT = ROOT / "bench" / "out"
EXACT = {"nik", "applicant.nik", "birth_date", "valid_until", "response_date", "date", "signed"}
NIK_FIELDS = {"nik", "applicant.nik"}
DIGITAL_KINDS = {"digital_acroform", "digital_text"}
BANDS = ((0.9, 1.01, "≥ 0.9"), (0.7, 0.9, "0.7–0.9"), (0.5, 0.7, "0.5–0.7"), (0.0, 0.5, "< 0.5"))
FLAG_BELOW = 0.7
Record = dict[str, Any]


# --- scoring ---------------------------------------------------------------------------------


def _norm_text(value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return " ".join(value.split()).casefold()
    return value


def same_value(name: str, want: Any, got: Any) -> bool:
    """Text: whitespace and case folded; NIK, dates, `signed` exact; `reasons` as a set."""
    if name == "reasons":
        return sorted(want or []) == sorted(got or [])
    if name in EXACT:
        return (None if want in ("", []) else want) == (None if got in ("", []) else got)
    return _norm_text(want) == _norm_text(got)


def confidence_of(name: str, value: Any, confidence: dict[str, float]) -> float:
    """The field's confidence; sub-keys (`reasons.a`) give their minimum.

    A field without any confidence counts as 0 when it is empty (visibly missing) and as 1 when it
    carries a value (nothing warns the clerk).
    """
    if name in confidence:
        return float(confidence[name])
    parts = [float(v) for k, v in confidence.items() if k.startswith(name + ".")]
    if parts:
        return min(parts)
    return 0.0 if value in (None, "", []) else 1.0


def _overlap(a: list[int], b: list[int]) -> int:
    return len(set(a) & set(b))


def match_document(expected: Record, found: list[Record]) -> Record | None:
    """The extracted document of the same type sharing most pages with the expected one."""
    same = [d for d in found if d.get("document_type") == expected["document_type"]]
    if not same:
        return None
    return max(same, key=lambda d: _overlap(expected["pages"], d.get("pages") or []))


def field_names(document_type: str) -> tuple[str, ...]:
    return {"objection_form": OBJECTION_FIELDS, "id_card": ID_CARD_FIELDS}.get(document_type, ())


def score_file(truth: Record, result: Record) -> dict[str, Any]:
    """Per-field outcomes (name, correct, confidence) and document-type hits for one file."""
    found = result.get("documents") or []
    fields: list[tuple[str, bool, float, Any, Any]] = []
    doc_hits = 0
    for expected in truth["documents"]:
        match = match_document(expected, found)
        if match is not None and _overlap(expected["pages"], match.get("pages") or []):
            doc_hits += 1
        want = flatten(expected["fields"])
        got = flatten(match.get("fields") or {}) if match else {}
        conf = match.get("confidence") or {} if match else {}
        for name in field_names(expected["document_type"]):
            ok = same_value(name, want.get(name), got.get(name))
            fields.append(
                (name, ok, confidence_of(name, got.get(name), conf), want.get(name), got.get(name))
            )
    return {
        "fields": fields,
        "documents": len(truth["documents"]),
        "document_hits": doc_hits,
        "error": result.get("error"),
    }


# --- running ---------------------------------------------------------------------------------


def run_worker(paths: list[Path], jobs: int, results: Path) -> dict[str, float]:
    """Extract `paths` in a child process; return its wall, CPU and peak memory.

    Wall and CPU (Tesseract included) cover the extraction alone, measured inside the child so
    interpreter start-up is not counted; peak is the RSS of the largest process in its tree.
    CPU of pool workers is counted once they are reaped, which extract_files does on return.
    """
    command = [sys.executable, __file__, "--worker", str(results), "--jobs", str(jobs)]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    returncode = subprocess.run([*command, *map(str, paths)], env=env, check=False).returncode
    if returncode != 0:
        raise SystemExit(f"extraction worker failed with exit code {returncode}")
    return json.loads(results.with_suffix(".stats").read_text())


def peak_mb() -> float:
    """Peak RSS of this process or any child it reaped (pool workers, Tesseract), in MB.

    This process's own peak comes from VmHWM: getrusage(RUSAGE_SELF) would also count the
    parent's memory at fork time, which Linux carries across exec.
    """
    own_kb = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            own_kb = int(line.split()[1])
    kids_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own_kb, kids_kb) / 1024


def worker(results: Path, jobs: int, paths: list[str]) -> int:
    """Child side: one FileResult JSON per line into `results`, timings into `results`.stats."""
    from parsers.extract import extract_files

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    started, cpu_started = time.perf_counter(), cpu()
    with results.open("w", encoding="utf-8") as handle:
        for result in extract_files([Path(p) for p in paths], jobs=jobs):
            handle.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    stats = {
        "wall": time.perf_counter() - started,
        "cpu": cpu() - cpu_started,
        "peak_mb": peak_mb(),
    }
    results.with_suffix(".stats").write_text(json.dumps(stats))
    return 0


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
    300-dpi text four times too large and reads a fraction of the page (on one foreign scan 34
    words in 0.35 s instead of 151 in 0.74 s), which made the baseline cheap by reading less.
    Our own OCR passes no resolution and Tesseract estimates it from the text, as it does here
    once the resolution is right.
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
    """CPU seconds of one plain full-page Tesseract run (RUSAGE_CHILDREN delta)."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        ["tesseract", str(image), str(work / "baseline"), "--oem", "1", "-l", "ind+eng"],
        check=True,
        capture_output=True,
        env=env,
        timeout=300,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def baseline(records: list[Record], corpus: Path, sample: int) -> float | None:
    """Mean Tesseract CPU per page over up to `sample` pages of these files."""
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        for record in records:
            try:  # a loaded machine can starve pdfimages past its timeout: skip that file
                images = page_images(corpus / record["file"], work)
            except subprocess.SubprocessError as err:
                print(f"  baseline skipped {record['file']}: {err}", file=sys.stderr)
                continue
            for image in images:
                if len(times) >= sample:
                    break
                times.append(tesseract_cpu(image, work))
    return sum(times) / len(times) if times else None


# --- report ----------------------------------------------------------------------------------


def pages_of(record: Record) -> int:
    return max((max(d["pages"]) for d in record["documents"] if d["pages"]), default=1)


def summarise(kind: str, records: list[Record], scores: list[dict], run: dict, base: float | None):
    fields = [f for s in scores for f in s["fields"]]
    wrong = [f for f in fields if not f[1]]
    niks = [f for f in fields if f[0] in NIK_FIELDS and f[3]]
    high = [f for f in fields if f[2] >= 0.9]
    pages = sum(pages_of(r) for r in records)
    cpu_page = run["cpu"] / pages if pages else 0.0
    return {
        "kind": kind,
        "files": len(records),
        "pages": pages,
        "errors": sum(1 for s in scores if s["error"]),
        "field_accuracy": _ratio(sum(f[1] for f in fields), len(fields)),
        "nik_exact": _ratio(sum(f[1] for f in niks), len(niks)),
        "doc_type_accuracy": _ratio(
            sum(s["document_hits"] for s in scores), sum(s["documents"] for s in scores)
        ),
        "seconds_per_page": run["wall"] / pages if pages else None,
        "files_per_second": len(records) / run["wall"] if run["wall"] else None,
        "cpu_per_page": cpu_page,
        "peak_mb": run["peak_mb"],
        "high_conf_accuracy": _ratio(sum(f[1] for f in high), len(high)),
        "wrong_flagged": _ratio(sum(f[2] < FLAG_BELOW for f in wrong), len(wrong)),
        "baseline_cpu_per_page": base,
        "ocr_cost_ratio": cpu_page / base if base else None,
        "calibration": calibration(fields),
    }


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def calibration(fields: list[tuple]) -> list[dict[str, Any]]:
    rows = []
    for low, high, label in BANDS:
        band = [f for f in fields if low <= f[2] < high]
        rows.append(
            {
                "band": label,
                "fields": len(band),
                "accuracy": _ratio(sum(f[1] for f in band), len(band)),
            }
        )
    return rows


def _fmt(value: Any, pct: bool = False, digits: int = 2) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def print_report(summaries: list[dict]) -> None:
    headers = [
        "kind",
        "files",
        "pages",
        "err",
        "fields",
        "NIK",
        "doctype",
        "s/page",
        "files/s",
        "cpu/page",
        "peak MB",
        "acc@≥0.9",
        "wrong flagged",
        "OCR cost",
    ]
    rows = [
        [
            s["kind"],
            str(s["files"]),
            str(s["pages"]),
            str(s["errors"]),
            _fmt(s["field_accuracy"], True),
            _fmt(s["nik_exact"], True),
            _fmt(s["doc_type_accuracy"], True),
            _fmt(s["seconds_per_page"]),
            _fmt(s["files_per_second"], digits=1),
            _fmt(s["cpu_per_page"]),
            _fmt(s["peak_mb"], digits=0),
            _fmt(s["high_conf_accuracy"], True),
            _fmt(s["wrong_flagged"], True),
            _fmt(s["ocr_cost_ratio"]) + ("×" if s["ocr_cost_ratio"] else ""),
        ]
        for s in summaries
    ]
    print(table(headers, rows))
    print("\nCalibration: accuracy of fields by reported confidence (fields in band)")
    headers = ["kind", *(label for _, _, label in BANDS)]
    rows = [
        [s["kind"], *(f"{_fmt(c['accuracy'], True)} ({c['fields']})" for c in s["calibration"])]
        for s in summaries
    ]
    print(table(headers, rows))


# --- main ------------------------------------------------------------------------------------


def bench(args: argparse.Namespace) -> tuple[list[dict], list[dict]]:
    corpus = args.out / "corpus"
    if not (args.reuse and (corpus / "truth.jsonl").exists()):
        print(f"generating {args.count} per kind into {corpus} (seed {args.seed}) ...", flush=True)
        generate(
            corpus,
            count=args.count,
            seed=args.seed,
            kinds=tuple(args.kinds),
            log=lambda msg: print(f"  {msg}", file=sys.stderr) if "skipped" in msg else None,
        )
    by_kind: dict[str, list[Record]] = defaultdict(list)
    for record in read_truth(corpus):
        if record["kind"] in args.kinds:
            by_kind[record["kind"]].append(record)
    summaries, details = [], []
    for kind in [k for k in KINDS if k in by_kind]:
        records = by_kind[kind]
        print(f"extracting {kind} ({len(records)} files) ...", file=sys.stderr, flush=True)
        results_path = args.out / f"results-{kind}.jsonl"
        run = run_worker([corpus / r["file"] for r in records], args.jobs, results_path)
        results = [json.loads(line) for line in results_path.read_text().splitlines()]
        scores = [score_file(t, r) for t, r in zip(records, results, strict=True)]
        base = None
        if kind not in DIGITAL_KINDS and args.baseline_pages:
            base = baseline(records, corpus, args.baseline_pages)
        summaries.append(summarise(kind, records, scores, run, base))
        for record, score in zip(records, scores, strict=True):
            misses = [
                {"field": f[0], "want": f[3], "got": f[4], "confidence": f[2]}
                for f in score["fields"]
                if not f[1]
            ]
            details.append(
                {"file": record["file"], "kind": kind, "error": score["error"], "wrong": misses}
            )
    return summaries, details


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:  # ["--worker", RESULTS, "--jobs", N, FILE...], see run_worker
        return worker(Path(argv[1]), int(argv[3]), argv[4:])
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10, help="files per kind (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="parallel extraction processes")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS, metavar="KIND")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out/corpus if present")
    parser.add_argument(
        "--baseline-pages",
        type=int,
        default=10_000,
        help="pages per kind for the plain-Tesseract baseline (default: every page, as ours; "
        "0: skip)",
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    summaries, details = bench(args)
    print_report(summaries)
    report = {
        "count": args.count,
        "seed": args.seed,
        "jobs": args.jobs,
        "kinds": summaries,
        "files": details,
    }
    (args.out / "extract.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"\nwrote {args.out / 'extract.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
