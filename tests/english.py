"""What counts as English (or code) in text a user reads: the check every page and letter passes.

Users read Bahasa Indonesia only. `english_in(text)` lists what gives English away: common English
words that Indonesian does not use, the SOP's stored values (`not_held`, `recommend`), command-line
flags and commands (`--note`, `ppid user add`), Python reprs (`['a', 'b']`, `None`) and JSON.
Loanwords Indonesian uses (scan, e-mail, data, status, folder) and abbreviations that look like
English (No., PDF, ZIP) are allowed.
"""

from __future__ import annotations

import re

_WORDS = """
    the and of to is are was were be been being not case with for from this that these those
    which what when where why how who whom will would should could can cannot can't must may
    might shall has have had do does did done you your we our they their it its there here
    please sorry error errors invalid unknown missing required already found needs need needed
    check checked use used uses using run runs running step steps decision decisions letter
    letters card field fields value values read readable unreadable belongs flow flows page
    pages back home list none true false null yes login logout submit save saved cancel delete
    edit search upload download file files inbox note notes item items hand by on at into onto
    than then also only some any each every other another about after before again until while
    because if else but or nor so such same different new old first last next previous out up
    down over under between through during without within against among document documents
    original receipt output outputs archive archived quarantine quarantined prefect worker
    database settings config configured option options command commands recommend forward
    dismiss dismissed available exempt revise accepted dispute signed order ordered return
    returned verify examine decide fulfil fulfilling sign close closed received registered
    answered rejected examining pending awaiting decide correction corrections request
    requested information applicant reason reasons date dates due overdue week today
"""
ENGLISH_WORDS = frozenset(_WORDS.split())
# Patterns that are code, not prose.
CODE_PATTERNS = (
    (re.compile(r"(?<![\w-])--[a-z][\w-]*"), "command-line flag"),
    (re.compile(r"\bppid [a-z]+"), "command"),
    (re.compile(r"\[\s*['\"]|['\"]\s*\]"), "Python list"),
    (re.compile(r"\{\s*\"\w+\"\s*:"), "JSON"),
    (re.compile(r"\"\w+\"\s*:\s*[\[{\"\d]"), "JSON"),
    (re.compile(r"\b(?:None|True|False)\b"), "Python value"),
    (re.compile(r"Traceback|object at 0x|<\w+(?: \w+)* at 0x"), "Python repr"),
    (re.compile(r"\b\w+Error\b"), "exception name"),
    (re.compile(r"(?<![\w@./-])[a-z]+_[a-z_]+\b(?![\w@])"), "identifier"),
    (re.compile(r"https?://(?:127\.0\.0\.1|localhost):4200"), "Prefect address"),
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def english_in(text: str) -> list[str]:
    """Every English word or piece of code in `text` (empty when it reads as Indonesian)."""
    found = [
        f"{what}: {hit.group(0)}"
        for pattern, what in CODE_PATTERNS
        for hit in pattern.finditer(text)
    ]
    for token in text.split():
        if "@" in token or "/" in token or token.startswith("http"):
            continue  # e-mail addresses, letter numbers, links
        for word in _WORD.findall(token):
            if word.lower().strip("'’-") in ENGLISH_WORDS:
                found.append(f"word: {word}")
    return found
