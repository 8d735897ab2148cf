"""Score `ppid extract --json` output against corpus truth exactly as the office's check does.

The rules are those of the office's independent check (see docs/benchmarks.md, "Extraction"):
text is compared after NFKD, case folding and turning every run of characters other than
`0-9a-z` into one space; `case_description` is right within 5 % character error rate; `reasons`
is a set; a document the output lacks makes all its fields wrong; a field's confidence is read by
its dotted name only; a silent error is a wrong, non-empty value at confidence ≥ 0.7 or none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from parsers.model import ID_CARD_FIELDS, OBJECTION_FIELDS
from tests.corpus.people import flatten

Record = dict[str, Any]
FLAG_BELOW = 0.7
SURE_FROM = 0.9
MAX_CASE_CER = 0.05
NIK_FIELDS = frozenset({"nik", "applicant.nik"})
NOT_LETTERS_OR_DIGITS = re.compile(r"[^0-9a-z]+")
# reliability bins: [low, high) of the reported confidence; None = no confidence at all
BINS = ((0.0, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01))


@dataclass(frozen=True)
class Outcome:
    """One expected field of one file: was it right, and how sure was the output."""

    name: str
    right: bool
    confidence: float | None
    want: Any
    got: Any
    handwritten: bool = False
    found: bool = True  # the output had a document of this type to read the field from
    method: str | None = None  # how the output's document was read (acroform, text, ocr)

    @property
    def empty(self) -> bool:
        return normalise(self.got) == ""

    @property
    def silent(self) -> bool:
        """Wrong, not empty, and not flagged: it would reach the register unreviewed."""
        sure = self.confidence is None or self.confidence >= FLAG_BELOW
        return not self.right and not self.empty and sure


def normalise(value: Any) -> str:
    """NFKD, case-folded, every run of non-`0-9a-z` characters one space, trimmed."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value).casefold()
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    return NOT_LETTERS_OR_DIGITS.sub(" ", text).strip()


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions each cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def character_error_rate(want: Any, got: Any) -> float:
    """Edit distance over the expected text's length, both normalised (1.0 when nothing read)."""
    expected, read = normalise(want), normalise(got)
    if not expected:
        return 0.0 if not read else 1.0
    return edit_distance(expected, read) / len(expected)


def same_value(name: str, want: Any, got: Any) -> bool:
    """The office's comparison of one field (dotted `name`)."""
    if name == "reasons":
        return set(want or []) == set(got or [])
    if name == "case_description":
        return character_error_rate(want, got) <= MAX_CASE_CER
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got or (want is None and got in (None, ""))
    return normalise(want) == normalise(got)


def confidence_of(name: str, confidence: Record) -> float | None:
    """The confidence the output gives the field by its dotted name, or None when it gives none."""
    value = confidence.get(name)
    return None if value is None else float(value)


def field_names(document_type: str) -> tuple[str, ...]:
    return {"objection_form": OBJECTION_FIELDS, "id_card": ID_CARD_FIELDS}.get(document_type, ())


def match_documents(expected: list[Record], found: list[Record]) -> list[Record | None]:
    """Pair each expected document with an output document of the same type (most shared pages)."""
    free = list(found)
    pairs: list[Record | None] = []
    for want in expected:
        same = [d for d in free if d.get("document_type") == want["document_type"]]
        if not same:
            pairs.append(None)
            continue
        pages = set(want.get("pages") or [])
        best = max(same, key=lambda d: len(pages & set(d.get("pages") or [])))
        free.remove(best)
        pairs.append(best)
    return pairs


@dataclass(frozen=True)
class FileScore:
    outcomes: tuple[Outcome, ...]
    documents: int
    documents_found: int
    error: str | None


def score_file(truth: Record, result: Record) -> FileScore:
    """Every expected field of one file, scored; documents of type `other` carry no fields."""
    handwritten = bool(truth.get("handwritten"))
    expected = truth["documents"]
    outcomes: list[Outcome] = []
    found = 0
    matches = match_documents(expected, result.get("documents") or [])
    for want, got in zip(expected, matches, strict=True):
        found += got is not None
        want_fields = flatten(want["fields"])
        got_fields = flatten(got.get("fields")) if got else {}
        confidence = (got.get("confidence") or {}) if got else {}
        for name in field_names(want["document_type"]):
            value = got_fields.get(name)
            right = got is not None and same_value(name, want_fields.get(name), value)
            hand = handwritten and want["document_type"] == "objection_form"
            outcomes.append(
                Outcome(
                    name,
                    right,
                    confidence_of(name, confidence),
                    want_fields.get(name),
                    value,
                    hand,
                    found=got is not None,
                    method=got.get("method") if got else None,
                )
            )
    return FileScore(tuple(outcomes), len(expected), found, result.get("error"))


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def aggregate(scores: Iterable[FileScore]) -> dict[str, Any]:
    """The office's figures over a set of scored files (ratios 0..1; None when undefined)."""
    scores = list(scores)
    fields = [o for s in scores for o in s.outcomes]
    typed = [o for o in fields if not o.handwritten]
    niks = [o for o in fields if o.name in NIK_FIELDS and normalise(o.want)]
    wrong = [o for o in fields if not o.right]
    sure = [o for o in fields if o.confidence is not None and o.confidence >= SURE_FROM]
    return {
        "files": len(scores),
        "fields": len(fields),
        "errors": sum(1 for s in scores if s.error),
        "field_accuracy": _ratio(sum(o.right for o in fields), len(fields)),
        "typed_accuracy": _ratio(sum(o.right for o in typed), len(typed)),
        "nik_exact": _ratio(sum(o.right for o in niks), len(niks)),
        "doc_type_accuracy": _ratio(
            sum(s.documents_found for s in scores), sum(s.documents for s in scores)
        ),
        "silent_errors": sum(o.silent for o in fields),
        "silent_rate": _ratio(sum(o.silent for o in fields), len(fields)),
        "sure_accuracy": _ratio(sum(o.right for o in sure), len(sure)),
        "wrong_flagged": _ratio(
            sum(o.confidence is not None and o.confidence < FLAG_BELOW for o in wrong), len(wrong)
        ),
    }


def reliability(outcomes: Iterable[Outcome]) -> list[dict[str, Any]]:
    """Accuracy and count per confidence bin; then fields read without a confidence, and the
    fields of expected documents the output did not have at all."""
    outcomes = list(outcomes)
    rows = []
    for low, high in BINS:
        band = [o for o in outcomes if o.confidence is not None and low <= o.confidence < high]
        label = f"{low:.2f}–{min(high, 1.0):.2f}"
        rows.append(
            {
                "bin": label,
                "fields": len(band),
                "accuracy": _ratio(sum(o.right for o in band), len(band)),
                "mean_confidence": _ratio(sum(o.confidence or 0 for o in band), len(band)),
            }
        )
    for label, chosen in (
        ("none", [o for o in outcomes if o.confidence is None and o.found]),
        ("no document", [o for o in outcomes if not o.found]),
    ):
        rows.append(
            {
                "bin": label,
                "fields": len(chosen),
                "accuracy": _ratio(sum(o.right for o in chosen), len(chosen)),
                "mean_confidence": None,
            }
        )
    return rows
