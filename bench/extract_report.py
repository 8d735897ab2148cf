"""Tables of the extraction benchmark: per family and kind, tuning beside held-out, reliability.

Also the plain-text table printer every benchmark shares (bench/_common.py re-exports it).
"""

from __future__ import annotations

from typing import Any

SPLIT_LABEL = {"tuning": "tuning", "heldout": "held-out"}
MAX_FAILURE_LINES = 80


def _fmt(value: Any, pct: bool = False, digits: int = 2) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; the first column left-aligned, the rest right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in pairs)

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _ratio(value: float | None) -> str:
    return _fmt(value) + ("×" if value else "")


def group_table(groups: list[dict]) -> str:
    headers = [
        "split / family / kind",
        "files",
        "pages",
        "fields",
        "non-hand",
        "NIK",
        "doctype",
        "silent",
        "right@≥0.9",
        "wrong flagged",
        "s/page",
        "cpu/page",
        "tess cpu/page",
        "cpu ratio",
    ]
    rows = [
        [
            f"{SPLIT_LABEL[g['split']]} {g['family']} {g['kind']}",
            str(g["files"]),
            str(g["pages"]),
            _fmt(g["field_accuracy"], True),
            _fmt(g["typed_accuracy"], True),
            _fmt(g["nik_exact"], True),
            _fmt(g["doc_type_accuracy"], True),
            _fmt(g["silent_rate"], True),
            _fmt(g["sure_accuracy"], True),
            _fmt(g["wrong_flagged"], True),
            _fmt(g["seconds_per_page"]),
            _fmt(g["cpu_per_page"]),
            _fmt(g["tesseract_cpu_per_page"]),
            _ratio(g["cpu_ratio"]),
        ]
        for g in groups
    ]
    return table(headers, rows)


SIDE_BY_SIDE = (
    ("fields", "field_accuracy", True),
    ("non-hand", "typed_accuracy", True),
    ("NIK", "nik_exact", True),
    ("doctype", "doc_type_accuracy", True),
    ("silent", "silent_rate", True),
    ("right@≥0.9", "sure_accuracy", True),
    ("flagged", "wrong_flagged", True),
    ("cpu ratio", "cpu_ratio", False),
)


def side_by_side(report: dict) -> str:
    """One row per kind (and all kinds): each figure for tuning, then held-out."""
    splits = [s for s in ("tuning", "heldout") if s in report["totals"]]
    headers = ["kind"]
    for label, _, _ in SIDE_BY_SIDE:
        headers += [f"{label} {'T' if s == 'tuning' else 'H'}" for s in splits]
    kinds = list(dict.fromkeys(k for s in splits for k in report["by_kind"][s]))
    picks = [(k, lambda s, k=k: report["by_kind"][s].get(k)) for k in kinds]
    picks.append(("ALL KINDS", lambda s: report["totals"][s]))
    rows = []
    for kind, pick in picks:
        row = [kind]
        for _, key, pct in SIDE_BY_SIDE:
            for split in splits:
                figures = pick(split)
                value = figures.get(key) if figures else None
                row.append(_fmt(value, True) if pct else _ratio(value))
        rows.append(row)
    return table(headers, rows)


def headline(report: dict) -> str:
    split = "heldout" if "heldout" in report["totals"] else "tuning"
    t = report["totals"][split]
    hand = report["handwritten"][split]
    return (
        f"{SPLIT_LABEL[split].upper()} ({'headline' if split == 'heldout' else 'no held-out run'})"
        f": all fields {_fmt(t['field_accuracy'], True)}, non-handwritten "
        f"{_fmt(t['typed_accuracy'], True)}, NIK {_fmt(t['nik_exact'], True)}, document type "
        f"{_fmt(t['doc_type_accuracy'], True)}; silent errors {_fmt(t['silent_rate'], True)} of "
        f"fields ({t['silent_errors']} wrong at ≥ 0.7 of {t['fields']}); right at ≥ 0.9 "
        f"{_fmt(t['sure_accuracy'], True)}; wrong flagged {_fmt(t['wrong_flagged'], True)}; "
        f"handwritten {_fmt(hand['field_accuracy'], True)}; CPU {_ratio(t['cpu_ratio'])} "
        f"plain tesseract"
    )


def reliability_table(rows: list[dict]) -> str:
    headers = ["confidence", "fields", "right", "mean confidence"]
    body = [
        [r["bin"], str(r["fields"]), _fmt(r["accuracy"], True), _fmt(r["mean_confidence"])]
        for r in rows
    ]
    return table(headers, body)


def failure_lines(failed: list[dict]) -> list[str]:
    lines = []
    for item in failed:
        if item["error"]:
            lines.append(f"{item['file']}: ERROR {item['error']}")
        for w in item["wrong"]:
            conf = "none" if w["confidence"] is None else f"{w['confidence']:.2f}"
            lines.append(
                f"{item['file']}: {w['field']} want {w['want']!r} got {w['got']!r} @ {conf}"
            )
    return lines


def print_report(report: dict) -> None:
    print("Per family and kind (T = tuning, H = held-out)")
    print(group_table(report["groups"]))
    print("\nTuning beside held-out, per kind")
    print(side_by_side(report))
    for split, rows in report["reliability"].items():
        print(f"\nReliability on the {SPLIT_LABEL[split]} split: fields right per confidence bin")
        print(reliability_table(rows))
    if report["tuning_failures"]:
        lines = failure_lines(report["tuning_failures"])
        print(f"\nTuning split, wrong fields ({len(lines)}; all in extract.json)")
        print("\n".join(lines[:MAX_FAILURE_LINES]))
    print("\n" + headline(report))
