"""Fit the confidence table on the tuning corpus and write parsers/data/calibration.json.

    .venv/bin/python bench/calibrate.py [--count 6] [--seeds 11 12] [--jobs 2] [--reuse]

Reads the tuning families only (a held-out family is refused: its figures must stay unseen),
extracts them with the confidence the evidence and doubt rules give (before any table), scores
every field as the office does (bench/extract_scoring.py), and fits, per field type and reading
(text layer or OCR), a monotone map from that score to the chance of being right: scores are
binned, neighbouring bins pooled wherever accuracy would fall as the score rises
(pool-adjacent-violators), and each pool taken at the Wilson lower bound of its accuracy, so a
pool of few fields is not trusted. A group with too few fields takes its reading's map over all
field types (a text layer's values go wrong alike whatever the field).

Fitted leave-one-family-out: the map fitted on one tuning family is checked on the other, for a
few settings (how cautious the bound is, how many fields a group needs for its own map). The
setting kept has the fewest silent errors (wrong, non-empty, confidence ≥ 0.7) on the family it
was not fitted on, then the least review load, then the lowest Brier score; the table written
is, at every score, the lower of the two families' maps, so a score is trusted only as far as
both families bear it out.
Each family is generated once per seed into bench/out/calibration/FAMILY-SEED; raw extractions
are cached in bench/out/calibration-raw.jsonl (`--reuse` reads both).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from _common import ROOT  # first: it puts the checkout and bench/ on the path
from _common import table as text_table
from extract_scoring import FileScore, Outcome, aggregate, score_file

from parsers.confidence import (
    CALIBRATION_FILE,
    FIELD_TYPES,
    FLAG_BELOW,
    READ_BY,
    READINGS,
    TYPES,
    CalibrationTable,
    calibrate,
)
from parsers.extract import extract_files
from parsers.model import Document
from tests.corpus.generate import FAMILIES, SPLITS, generate, read_truth, split_of

OUT = ROOT / "bench" / "out"
TABLE = ROOT / "parsers" / "data" / CALIBRATION_FILE
RAW_CACHE = "calibration-raw.jsonl"
# Lower edges of the score bins; the readers' own scores cluster at 1.0, 0.95, 0.9, 0.85, 0.8.
EDGES = (0.0, 0.3, 0.5, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99, 1.0)
# (z of the one-sided Wilson bound, fields a group needs for a map of its own)
SETTINGS = ((1.0, 20), (1.0, 60), (1.645, 20), (1.645, 60), (2.326, 20), (2.326, 60))
Record = dict[str, Any]
Pair = tuple[Record, Record]  # (truth record, raw `ppid extract --json` result)
Point = tuple[str, str, float, bool]  # (field type, reading, score, right)
StepList = list[tuple[float, float]]
CHECK_FIGURES = ("fields", "silent_errors", "silent_rate", "review_load", "wrong_flagged", "brier")


# --- the corpus and its raw extraction -----------------------------------------------------------


def family_records(family: str, seed: int, args: argparse.Namespace) -> tuple[Path, list[Record]]:
    corpus = args.out / "calibration" / f"{family}-{seed}"
    if not (args.reuse and (corpus / "truth.jsonl").exists()):
        print(f"generating family {family}, seed {seed}: {args.count} per kind", file=sys.stderr)
        generate(corpus, count=args.count, seed=seed, families=(family,))
    return corpus, read_truth(corpus)


def raw_results(paths: list[Path], args: argparse.Namespace) -> dict[str, Record]:
    """Each file's uncalibrated result, by its path under the project; cached between runs."""
    cache = args.out / RAW_CACHE
    known: dict[str, Record] = {}
    if cache.exists():
        for line in cache.read_text("utf-8").splitlines():
            result = json.loads(line)
            known[result["file"]] = result
    keys = {path: os.path.relpath(path, ROOT) for path in paths}
    missing = [path for path in paths if keys[path] not in known]
    if missing:
        print(f"extracting {len(missing)} files ...", file=sys.stderr)
        with cache.open("a", encoding="utf-8") as out:
            results = extract_files(missing, jobs=args.jobs, calibrated=False)
            for path, result in zip(missing, results, strict=True):
                data = {**result.to_json(), "file": keys[path]}
                known[keys[path]] = data
                out.write(json.dumps(data, ensure_ascii=False) + "\n")
    return {keys[path]: known[keys[path]] for path in paths}


def family_pairs(family: str, args: argparse.Namespace) -> list[Pair]:
    """Every file of one family over all seeds, with its raw result."""
    pairs: list[Pair] = []
    for seed in args.seeds:
        corpus, records = family_records(family, seed, args)
        paths = [corpus / record["file"] for record in records]
        results = raw_results(paths, args)
        pairs += [
            (r, results[os.path.relpath(p, ROOT)]) for r, p in zip(records, paths, strict=True)
        ]
    return pairs


# --- scoring with a table ------------------------------------------------------------------------


def with_table(result: Record, table: CalibrationTable | None) -> Record:
    """The result as the product would give it with `table` as its last confidence stage."""
    if table is None:
        return result
    documents = []
    for raw in result["documents"]:
        document = Document(**copy.deepcopy(raw))
        calibrate(document, table)
        documents.append(document.to_json())
    return {**result, "documents": documents}


def scores(pairs: list[Pair], table: CalibrationTable | None) -> list[FileScore]:
    return [score_file(truth, with_table(result, table)) for truth, result in pairs]


def points(outcomes: Iterable[Outcome]) -> list[Point]:
    """Every read, non-empty value with a score: what the table is fitted on."""
    return [
        (FIELD_TYPES[o.name], READ_BY[o.method], o.confidence, o.right)
        for o in outcomes
        if o.found and o.confidence is not None and not o.empty and o.name in FIELD_TYPES
    ]


def figures(file_scores: list[FileScore]) -> dict[str, Any]:
    """The office's figures plus the review load: the share of fields a person checks."""
    fields = [o for s in file_scores for o in s.outcomes]
    flagged = [o for o in fields if o.confidence is not None and o.confidence < FLAG_BELOW]
    scored = [(score, right) for _, _, score, right in points(fields)]
    return {
        **aggregate(file_scores),
        "brier": sum((score - right) ** 2 for score, right in scored) / len(scored),
        "review_load": len(flagged) / len(fields) if fields else None,
        "right_flagged": sum(o.right for o in flagged) / len(fields) if fields else None,
    }


# --- fitting -------------------------------------------------------------------------------------


def wilson_lower(right: int, total: int, z: float) -> float:
    """The one-sided Wilson lower bound of a share `right/total` at `z` standard errors."""
    if not total:
        return 0.0
    share = right / total
    centre = share + z * z / (2 * total)
    spread = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return max(0.0, (centre - spread) / (1 + z * z / total))


def fit_steps(chosen: list[Point], z: float) -> StepList:
    """A monotone step map score → chance right: binned, pooled where it would fall (PAV),
    each pool at its Wilson lower bound, never below the pool under it."""
    bins: list[list[float]] = []  # [start, fields, right]
    for low, high in zip(EDGES, (*EDGES[1:], math.inf), strict=True):
        inside = [right for _, _, score, right in chosen if low <= score < high]
        if inside:
            bins.append([low, len(inside), sum(inside)])
    pools: list[list[float]] = []
    for start, total, right in bins:
        pools.append([start, total, right])
        while len(pools) > 1 and pools[-2][2] / pools[-2][1] >= pools[-1][2] / pools[-1][1]:
            _, total_, right_ = pools.pop()
            pools[-1][1] += total_
            pools[-1][2] += right_
    steps: StepList = []
    for start, total, right in pools:
        chance = wilson_lower(int(right), int(total), z)
        steps.append((start, round(max(chance, steps[-1][1] if steps else 0.0), 3)))
    if not steps:
        return [(0.0, 0.0)]
    return [(0.0, steps[0][1]), *steps[1:]]


def fit_maps(
    chosen: list[Point], z: float, min_fields: int
) -> tuple[dict[str, dict[str, StepList]], dict[str, dict[str, str]]]:
    """Per field type and reading: its map, and which fields it was fitted on."""
    maps: dict[str, dict[str, StepList]] = {}
    origin: dict[str, dict[str, str]] = {}
    for field_type in TYPES:
        maps[field_type], origin[field_type] = {}, {}
        for reading in READINGS:
            groups = (
                (f"{field_type}/{reading}", [p for p in chosen if p[:2] == (field_type, reading)]),
                (f"any/{reading}", [p for p in chosen if p[1] == reading]),
            )
            label, subset = next((g for g in groups if len(g[1]) >= min_fields), groups[-1])
            maps[field_type][reading] = fit_steps(subset, z)
            origin[field_type][reading] = label
    return maps, origin


def step_at(steps: StepList, score: float) -> float:
    return [chance for start, chance in steps if start <= score][-1]


def lower_of(first: StepList, second: StepList) -> StepList:
    """At every score, the lower of two step maps (still monotone)."""
    starts = sorted({start for start, _ in first} | {start for start, _ in second})
    merged: StepList = []
    for start in starts:
        chance = min(step_at(first, start), step_at(second, start))
        if not merged or chance != merged[-1][1]:
            merged.append((start, chance))
    return merged


def as_table(maps: dict[str, dict[str, StepList]]) -> CalibrationTable:
    return CalibrationTable.from_json({"maps": maps})


# --- leave one family out ------------------------------------------------------------------------


def cross_check(pairs: dict[str, list[Pair]], setting: tuple[float, int]) -> dict[str, Any]:
    """Fit on each family, score on the other; and the lower of the two maps."""
    z, min_fields = setting
    fitted = {
        family: fit_maps(points(o for s in scores(p, None) for o in s.outcomes), z, min_fields)
        for family, p in pairs.items()
    }
    checks: dict[str, Any] = {}
    for family in pairs:
        for other in pairs:
            if other != family:
                maps = fitted[family][0]
                checks[f"{family}->{other}"] = figures(scores(pairs[other], as_table(maps)))
    first, second = (fitted[family][0] for family in list(pairs)[:2])
    lower = {t: {r: lower_of(first[t][r], second[t][r]) for r in READINGS} for t in TYPES}
    origins = {family: fitted[family][1] for family in pairs}
    return {"setting": setting, "checks": checks, "maps": lower, "origins": origins}


def worst(check: dict[str, Any], key: str) -> float:
    return max(figures_[key] or 0.0 for figures_ in check["checks"].values())


def choose(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """Fewest silent errors on the family not fitted on, then the least review load (to 0.1%),
    then the lowest Brier score (how far the chances are from what happened)."""
    return min(
        checks,
        key=lambda c: (
            round(worst(c, "silent_rate"), 4),
            round(worst(c, "review_load"), 3),
            worst(c, "brier"),
        ),
    )


def counts(pairs: dict[str, list[Pair]]) -> dict[str, dict[str, dict[str, list[int]]]]:
    """Fields fitted on per field type, reading and family: [fields, right]."""
    out: dict[str, dict[str, dict[str, list[int]]]] = {}
    for family, family_pairs_ in pairs.items():
        for field_type, reading, _, right in points(
            o for s in scores(family_pairs_, None) for o in s.outcomes
        ):
            tally = (
                out.setdefault(field_type, {}).setdefault(reading, {}).setdefault(family, [0, 0])
            )
            tally[0] += 1
            tally[1] += right
    return out


def report(pairs: dict[str, list[Pair]], checks: list[dict[str, Any]], kept: dict) -> None:
    rows = []
    for check in checks:
        for direction, found in check["checks"].items():
            rows.append(
                [
                    f"z {check['setting'][0]}, {check['setting'][1]} fields, {direction}",
                    f"{100 * found['silent_rate']:.2f}%",
                    f"{100 * found['review_load']:.1f}%",
                    f"{100 * found['right_flagged']:.1f}%",
                    f"{100 * (found['wrong_flagged'] or 0):.1f}%",
                    f"{found['brier']:.4f}",
                ]
            )
    headers = [
        "setting, fitted->checked",
        "silent",
        "review load",
        "right flagged",
        "wrong flagged",
        "Brier",
    ]
    print(text_table(headers, rows))
    print(f"\nkept: z {kept['setting'][0]}, {kept['setting'][1]} fields per group")
    final = as_table(kept["maps"])
    rows = []
    for family, family_pairs_ in pairs.items():
        for label, table in (("rules only", None), ("with the table", final)):
            found = figures(scores(family_pairs_, table))
            rows.append(
                [
                    f"family {family}, {label}",
                    str(found["fields"]),
                    f"{found['silent_errors']} ({100 * found['silent_rate']:.2f}%)",
                    f"{100 * found['review_load']:.1f}%",
                    f"{100 * (found['sure_accuracy'] or 0):.1f}%",
                ]
            )
    headers = ["", "fields", "silent", "review load", "right at ≥ 0.9"]
    print(text_table(headers, rows))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--families", nargs="+", default=list(SPLITS["tuning"]), metavar="FAMILY")
    parser.add_argument("--count", type=int, default=6, help="files per kind and family")
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12])
    parser.add_argument("--jobs", type=int, default=2, help="parallel extraction processes")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--table", type=Path, default=TABLE, help="where to write the table")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse bench/out's corpora and raw extractions"
    )
    args = parser.parse_args(argv)
    for family in args.families:
        if family not in FAMILIES or split_of(family) != "tuning":
            parser.error(f"family {family!r} is not a tuning family {SPLITS['tuning']}")
    if len(args.families) != 2:
        parser.error("leave-one-family-out needs exactly two tuning families")
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.reuse:  # extractions by other parsers than these would mislead the fit
        (args.out / RAW_CACHE).unlink(missing_ok=True)
    pairs = {family: family_pairs(family, args) for family in args.families}
    checks = [cross_check(pairs, setting) for setting in SETTINGS]
    kept = choose(checks)
    report(pairs, checks, kept)
    table = {
        "version": 1,
        "command": shlex.join([".venv/bin/python", "bench/calibrate.py", *argv]),
        "about": (
            "Per field type and reading (text layer or OCR): steps [score from, chance right] "
            "mapping the parsers' evidence score to the share of such values that were right "
            "on the tuning corpus, at a Wilson lower bound; the lower of the maps fitted on "
            "each tuning family. parsers/confidence.py applies it."
        ),
        "families": args.families,
        "seeds": args.seeds,
        "files": {family: len(family_pairs_) for family, family_pairs_ in pairs.items()},
        "setting": {"wilson_z": kept["setting"][0], "fields_for_own_map": kept["setting"][1]},
        "field_types": {t: [n for n, kind in FIELD_TYPES.items() if kind == t] for t in TYPES},
        "fields": counts(pairs),
        "fitted_on": kept["origins"],
        "checks": {
            direction: {
                k: found[k] for k in ("fields", "silent_errors", "silent_rate", "review_load")
            }
            for direction, found in kept["checks"].items()
        },
        "maps": kept["maps"],
    }
    as_table(table["maps"])  # the product's own check of the table, before it is written
    args.table.write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"\nwrote {os.path.relpath(args.table, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
