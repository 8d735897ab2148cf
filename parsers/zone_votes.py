"""Several OCR readings of one zone reconciled word by word, and how sure the result is."""

from __future__ import annotations

from difflib import SequenceMatcher

from parsers.ocr import Word, ZoneText


def merge_readings(first: ZoneText, second: ZoneText, third: ZoneText | None = None) -> ZoneText:
    """Two readings of one zone joined word by word; where they differ, the side that a third
    reading bears out, else the surer side.

    Tesseract's slips differ between a narrowed, a full-width and an enlarged image ('TJHAT' in
    one, 'PONT IANAK' in another), so each difference is usually settled by the other images.
    Confidence is the weaker reading's, as a disagreement deserves.
    """
    a, b = list(first.words), list(second.words)
    witness = list(third.words) if third is not None else []
    matcher = SequenceMatcher(a=[w.text for w in a], b=[w.text for w in b], autojunk=False)
    words: list[Word] = []
    for tag, i0, i1, j0, j1 in matcher.get_opcodes():
        if tag == "equal":
            words.extend(a[i0:i1])
            continue
        ours, theirs = a[i0:i1], b[j0:j1]
        for loose in (False, True):  # exactly as the witness has it; else its punctuation aside
            ours_seen = bool(ours) and _joined(ours, loose) in _joined(witness, loose)
            theirs_seen = bool(theirs) and _joined(theirs, loose) in _joined(witness, loose)
            if ours_seen != theirs_seen:
                words.extend(ours if ours_seen else theirs)
                break
        else:
            words.extend(ours if _span_confidence(ours) >= _span_confidence(theirs) else theirs)
    text = " ".join(w.text for w in words)
    return ZoneText(text, min(first.confidence, second.confidence), tuple(words))


def _joined(words: list[Word], loose: bool) -> str:
    """Words as ' A B ' (spaces around, for whole-word matching); loose: edge punctuation off."""
    texts = [w.text.strip(".,;:") if loose else w.text for w in words]
    return f" {' '.join(texts)} "


def _span_confidence(words: list[Word]) -> float:
    """A span's weakest word; an empty span (a word only the other reading saw) counts as 0.5."""
    return min((w.confidence for w in words), default=0.5)


def same_text(a: str | None, b: str | None) -> bool:
    return (a or "").casefold().split() == (b or "").casefold().split()


def ocr_confidence(found: ZoneText) -> float:
    """Mean and weakest word together: one doubtful word makes the whole field doubtful."""
    if not found.words:
        return 0.0
    weakest = min(w.confidence for w in found.words)
    return 0.5 * found.confidence + 0.5 * weakest
