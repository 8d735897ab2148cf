"""The message catalogue: every error a person can meet has its Indonesian text, and no English
reaches a user through it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ppid
from ppid.casework.sop import LETTER_TEXT, NOTE_NEEDED
from ppid.core import errors, messages
from ppid.core.errors import BadInputError, PpidError
from ppid.core.messages import (
    ERRORS,
    QUARANTINE,
    placeholders,
    reading_note,
    recognise,
    refusal_text,
)
from tests.english import english_in

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "ppid").rglob("*.py")) + sorted((ROOT / "flows").glob("*.py"))
# Calls that pass a code they were handed (rebuilding an error) rather than a literal one.
PASS_THROUGH = {
    ("ppid/core/errors.py", "_rebuild"),
    ("ppid/runtime/steps.py", "_plain_error"),
    ("ppid/casework/history.py", "require_note"),  # its callers' codes: checked below
    ("ppid/casework/history.py", "require_letter_text"),
    ("ppid/casework/checks.py", "step_problems"),  # NOTE_NEEDED's and LETTER_TEXT's: below
}


def error_classes() -> set[str]:
    """Names of PpidError and every subclass in the product (imported to find them all)."""
    import ppid.archive.fixity
    import ppid.intake.mail.imap  # noqa: F401

    found, todo = set(), [PpidError]
    while todo:
        kind = todo.pop()
        found.add(kind.__name__)
        todo.extend(kind.__subclasses__())
    return found


def raise_sites() -> list[tuple[str, int, str, ast.Call]]:
    """(file, line, enclosing function, call) for every construction of an error class."""
    names = error_classes()
    sites = []

    class Finder(ast.NodeVisitor):
        def __init__(self, path: str) -> None:
            self.path, self.scope = path, [""]

        def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
            self.scope.append(node.name)
            self.generic_visit(node)
            self.scope.pop()

        def visit_Call(self, node: ast.Call) -> None:
            called = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if called in names:
                sites.append((self.path, node.lineno, self.scope[-1], node))
            self.generic_visit(node)

    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        Finder(path.relative_to(ROOT).as_posix()).visit(tree)
    return sites


def code_arguments() -> list[tuple[str, int, str]]:
    """Codes handed to functions that raise them later (`require_note(ctx, code)`)."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = isinstance(node, ast.Call) and getattr(node.func, "id", None)
            handed = called in ("require_note", "require_letter_text")
            if handed and isinstance(node.args[1], ast.Constant):
                found.append((path.name, node.lineno, node.args[1].value))
    return found


def test_every_error_raised_names_a_catalogue_entry_with_the_values_its_texts_use() -> None:
    problems = []
    sites = raise_sites()
    assert len(sites) > 80  # the walk found the product's errors
    for path, line, scope, call in sites:
        if (path, scope) in PASS_THROUGH:
            continue
        if scope in error_classes():  # a class body calling its base
            continue
        first = call.args[0] if call.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            problems.append(f"{path}:{line}: the error's code is not a literal")
            continue
        code = first.value
        if code not in ERRORS:
            problems.append(f"{path}:{line}: {code!r} is not in ppid.core.messages.ERRORS")
            continue
        if len(call.args) > 1 or any(k.arg is None for k in call.keywords):
            problems.append(f"{path}:{line}: values go by name, one per placeholder")
            continue
        given = {k.arg for k in call.keywords}
        wanted = placeholders(ERRORS[code].id) | placeholders(ERRORS[code].en)
        if given != wanted:
            problems.append(f"{path}:{line}: {code} takes {sorted(wanted)}, got {sorted(given)}")
    handed = [*code_arguments(), *(("sop.py", 0, code) for code in NOTE_NEEDED.values())]
    handed += [("sop.py", 0, code) for code in LETTER_TEXT.values() if code]
    for path, line, code in handed:
        if code not in ERRORS or placeholders(ERRORS[code].id) | placeholders(ERRORS[code].en):
            problems.append(f"{path}:{line}: {code!r} must be a catalogue entry without values")
    assert problems == []


def test_every_catalogue_text_reads_as_indonesian_and_has_its_operator_text() -> None:
    for code, entry in {**ERRORS, **QUARANTINE}.items():
        assert entry.id.strip() and entry.en.strip(), code
        filled = entry.id.format_map({name: "X" for name in placeholders(entry.id)})
        assert english_in(filled) == [], (code, filled)
    plain = [*messages.NOTICES.values(), *messages.FIELD_LABELS.values()]
    plain += [*messages.DECISION_TEXTS.values(), *messages.ACTION_LABELS.values()]
    plain += [*messages.SYSTEM_ACTORS.values(), *messages.ERROR_TITLES.values()]
    plain += [messages.UNKNOWN_ERROR, messages.UNKNOWN_NOTE, messages.UNKNOWN_REFUSAL]
    plain += [*messages.HISTORY_NOTES.values(), *messages.FILE_NOTES.values()]
    plain += [*messages.MAIL_TEXTS.values(), *(t.id for t in messages.SPECIAL_FILES.values())]
    plain += [*messages.PAGE_TITLES.values(), *messages.PAGE_WORDS.values()]
    plain += [*messages.PUBLIC_FORM_LABELS.values()]
    for text in plain:
        filled = text.format_map({name: "X" for name in placeholders(text)})
        assert english_in(filled) == [], text


def test_an_error_shows_indonesian_to_users_and_english_to_operators() -> None:
    error = BadInputError("step.dip_items_exempt", titles=["Dokumen A", "Dokumen B"])
    assert error.text.startswith("Informasi berikut dikecualikan dalam DIP: Dokumen A, Dokumen B")
    assert error.message == "DIP items Dokumen A, Dokumen B are exempt; decide 'exempt' instead"
    assert error.field == "dip_item" and error.exit_code == errors.ExitCode.BAD_INPUT
    assert "[" not in error.text  # a list never reaches a page as a Python list
    unknown = PpidError("no.such.code")
    assert unknown.text == messages.UNKNOWN_ERROR and unknown.message == "no.such.code"


def test_an_error_crosses_a_process_as_itself() -> None:
    import pickle

    error = BadInputError("case.not_found", number="007/KEB/2027")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is BadInputError and again.text == error.text
    assert recognise(error.message) == ("case.not_found", {"number": "007/KEB/2027"})


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("not found on the ID card: regency, religion; check the scan", "Kabupaten/Kota, Agama"),
        ("NIK digits unclear on the ID card; check them by hand", "Angka NIK"),
        ("page 1: filled in by hand; check every value against the scan", "Halaman 1"),
        ("applicant.phone: read as '0812' and as '0813'; check the scan", "Nomor telepon"),
        ("reason ticks read from unclear marks; please check", "Centang alasan"),
        ("the form's QR code is unreadable; the page was taken to be page 1", "Kode QR"),
        ("NIK 6171014708900003 encodes birth date 07-08-90 but the card says 08-07-1990", "NIK"),
        (
            "surat.pdf: 1,024 bytes follow after the end of the PDF (a ZIP archive), another file "
            "hidden in it; they were ignored and never opened. Treat the file with care.",
            "tersembunyi",
        ),
        ("something entirely new the parsers may say one day", messages.UNKNOWN_NOTE),
    ],
)
def test_the_extractions_notes_are_read_in_indonesian(note: str, expected: str) -> None:
    text = reading_note(note)
    assert expected in text and english_in(text) == [], text


@pytest.mark.parametrize(
    "reason",
    [
        "x.pdf: the file is empty (0 bytes). Ask the sender for a PDF or a scan.",
        "x.pdf: the PDF is protected by a password, so it cannot be read. Ask the sender ...",
        "x.pdf: the PDF is damaged or truncated and cannot be read (PdfReadError). Ask ...",
        "x.png: the image is 30000×30000 pixels, over the 60,000,000 pixel limit "
        "(limits.max_pixels); it was not decoded. Scan at 300 dpi or raise the limit.",
        "x.html: this is a web page (HTML), not a document we can read. Ask ...",
        "x.bin: the content is not a PDF or an image. Ask the sender for a PDF or a scan.",
    ],
)
def test_a_refused_file_is_explained_in_indonesian(reason: str) -> None:
    text = refusal_text(reason)
    assert text != messages.UNKNOWN_REFUSAL and english_in(text) == [], text


def test_the_english_check_catches_what_reached_users_before() -> None:
    for leaked in (
        "not found on the ID card: regency; check the scan",
        "'recommend' needs a note: the Bidang's findings (--note)",
        "(data dip_items, --item)",
        "DIP items ['Laporan A', 'Laporan B'] are exempt",
        "you act as bidang",
        '{"detail":[{"type":"int_parsing"}]}',
        "Tambah pengguna dengan ppid user add NAMA --role PERAN",
        "dikembalikan ke inbox",
    ):
        assert english_in(leaked), leaked
    assert english_in("Keberatan 001/KEB/PPID-DKUKM/I/2027 diteruskan ke Bidang. No. Telp") == []


# Indonesian words that give a sentence away (a label of one word is not looked for).
_INDONESIAN = """
    yang tidak dengan untuk dan atau pada dari sudah belum akan ini itu berkas keberatan surat
    pemohon dikirim diterima terima lagi oleh ke di bukan telah kami silakan mohon periksa
"""
INDONESIAN = frozenset(_INDONESIAN.split())
# Where Indonesian stands that is no text of the catalogue: the vocabulary's labels (their one
# owner), the statute's wording, the office's default names, patterns that recognise Indonesian
# mail clients. The command line speaks English to operators, and is looked at too.
NOT_CATALOGUE = {
    "ppid/core/messages.py",
    "ppid/core/messages_errors_casework.py",
    "ppid/core/messages_errors_system.py",
    "ppid/core/messages_errors_web.py",
    "ppid/core/messages_notes.py",
    "ppid/core/messages_pages.py",
    "ppid/core/messages_readings.py",
    "ppid/core/messages_text.py",
    "ppid/core/vocabulary.py",
    "ppid/core/models/dip.py",
    "ppid/core/settings.py",
    "ppid/casework/dip.py",
    "ppid/intake/mail/parse.py",
}
NOT_TEXTS = (  # no person reads these as a sentence: a software agent, app titles, a file name
    "ppid-keberatan with bagit.py",
    "Meja Keberatan PPID",
    "Keberatan PPID",
    'inline; filename="pratinjau-surat.pdf"',
)


def indonesian_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string in `source` (an f-string by its literal parts) that reads as
    an Indonesian sentence; docstrings are left out."""
    tree = ast.parse(source)
    skipped = {  # docstrings, and the parts of an f-string (read with it)
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    skipped |= {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value if id(node) not in skipped else ""
        else:
            continue
        words = set(re.findall(r"[a-z]+", text.lower()))
        if " " in text.strip() and words & INDONESIAN and text.strip() not in NOT_TEXTS:
            found.append((node.lineno, text))
    return found


def test_every_indonesian_sentence_in_the_product_is_in_the_catalogue() -> None:
    found = []
    for path in SOURCES:
        name = path.relative_to(ROOT).as_posix()
        if name in NOT_CATALOGUE:
            continue
        found += [
            f"{name}:{line}: {text[:60]!r}"
            for line, text in indonesian_literals(path.read_text(encoding="utf-8"))
        ]
    assert found == []


def test_the_literal_check_finds_a_sentence_but_not_a_docstring() -> None:
    source = '"""Modul yang tidak dicek."""\nnote = f"Berkas {name} tidak terbaca"\n'
    assert indonesian_literals(source) == [(2, "Berkas  tidak terbaca")]
    assert indonesian_literals((ROOT / "tests" / "english.py").read_text()) == []


def test_the_catalogue_imports_nothing_of_ours_but_its_own_tables() -> None:
    modules = sorted((ROOT / "ppid" / "core").glob("messages*.py"))
    assert len(modules) > 1
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ppid"):
                assert (node.module or "").startswith("ppid.core.messages"), (
                    path.name,
                    node.module,
                )
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("ppid") for a in node.names), path.name
    assert ppid  # the package the catalogue sits at the bottom of
